"""Clients (businesses), their users, platform admins and customers."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.base import (
    Base,
    CreatedAt,
    Percent,
    TenantOwned,
    UUIDPrimaryKey,
    str_enum,
    tenant_table,
    utcnow,
)


class Role(enum.StrEnum):
    """What a person acting for a client may do."""

    OWNER = "owner"
    STAFF = "staff"
    CUSTOMER = "customer"


class Client(CreatedAt, Base):
    """A business using Easy Ecom: its profile and the policies the domain enforces."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("id ~ '^[a-z0-9][a-z0-9_-]{2,39}$'", name="id_slug"),
        CheckConstraint("max_discount_pct >= 0 AND max_discount_pct <= 100", name="max_discount_range"),
        CheckConstraint(
            "auto_approve_discount_pct >= 0 AND auto_approve_discount_pct <= max_discount_pct",
            name="auto_approve_within_cap",
        ),
        CheckConstraint("sales_commission_pct >= 0 AND sales_commission_pct <= 100", name="commission_range"),
        CheckConstraint("return_window_days >= 0", name="return_window_positive"),
        CheckConstraint("country_calling_code ~ '^[1-9][0-9]{0,2}$'", name="calling_code_digits"),
        CheckConstraint("receipt_cost_band_pct >= 0", name="cost_band_positive"),
        CheckConstraint("daily_adjustment_approval_units >= 1", name="adjustment_threshold_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    business_overview: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    opening_hours: Mapped[time] = mapped_column(Time, default=time(9, 0))
    closing_hours: Mapped[time] = mapped_column(Time, default=time(18, 0))
    max_discount_pct: Mapped[Percent] = mapped_column(default=Decimal("10"))
    auto_approve_discount_pct: Mapped[Percent] = mapped_column(default=Decimal("5"))
    return_refund_policy: Mapped[str] = mapped_column(Text, default="")
    return_window_days: Mapped[int] = mapped_column(default=14)
    sales_commission_pct: Mapped[Percent] = mapped_column(default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    whatsapp_number: Mapped[str | None] = mapped_column(String(32))
    whatsapp_phone_number_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    whatsapp_access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    whatsapp_business_account_id: Mapped[str | None] = mapped_column(String(64))
    whatsapp_fallback_template: Mapped[str | None] = mapped_column(String(512))
    """The approved template sent instead of free text outside the 24-hour window (its body's one
    variable, if any, is the customer's name)."""
    whatsapp_template_language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    messenger: Mapped[str | None] = mapped_column(String(200))
    required_api_keys: Mapped[list[str]] = mapped_column(JSONB, default=list)
    country_calling_code: Mapped[str | None] = mapped_column(String(3))
    agent_language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    off_hours_reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    receipt_cost_band_pct: Mapped[Percent] = mapped_column(default=Decimal("50"), server_default="50")
    daily_adjustment_approval_units: Mapped[int] = mapped_column(default=20, server_default="20")


class PlatformAdmin(UUIDPrimaryKey, CreatedAt, Base):
    """A superadmin: outside every tenant, reaches clients only through admin routes."""

    __tablename__ = "platform_admins"

    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)


@tenant_table
class User(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A person working for a client: owner or staff."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("client_id", "username"),
        CheckConstraint("role IN ('owner', 'staff')", name="role_is_staff_or_owner"),
        Index(
            "ix_users_client_id_whatsapp_wa_id",
            "client_id",
            "whatsapp_wa_id",
            unique=True,
            postgresql_where=text("whatsapp_wa_id IS NOT NULL"),
        ),
    )

    username: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    second_factor_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    second_factor_locked_until: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    whatsapp_wa_id: Mapped[str | None] = mapped_column(String(32))
    """The user's own WhatsApp number (a wa_id: digits, no +), once proved by a one-time code;
    owners get approval requests on it and decide them with its reply buttons."""
    whatsapp_verified_at: Mapped[datetime | None]
    whatsapp_pending_wa_id: Mapped[str | None] = mapped_column(String(32))
    whatsapp_code_hash: Mapped[str | None] = mapped_column(String(128))
    """HMAC-SHA256 of the one-time code (keyed by the app's secret, bound to the user and number)."""
    whatsapp_code_expires_at: Mapped[datetime | None]
    whatsapp_code_sent_at: Mapped[datetime | None]
    whatsapp_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")


@tenant_table
class Customer(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """Someone who buys: a WhatsApp contact (wa_id, business-scoped user id) or a walk-in.

    `phone` is E.164 (`+2348031234567`); a WhatsApp contact's phone is `+` and its wa_id, so a
    number typed by staff and a WhatsApp sender are one customer. Soft-deleted rows keep their
    orders; erased rows also lose every personal field.
    """

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("client_id", "wa_id"),
        Index("ix_customers_client_id_wa_user_id", "client_id", "wa_user_id", unique=True),
        Index(
            "ix_customers_client_id_phone",
            "client_id",
            "phone",
            unique=True,
            postgresql_where=text("phone IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index("ix_customers_client_id_created_at", "client_id", "created_at"),
        CheckConstraint("store_credit_balance >= 0", name="store_credit_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    wa_user_id: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    tags: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    marketing_opt_out: Mapped[bool] = mapped_column(default=False, server_default="false")
    store_credit_balance: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    last_inbound_at: Mapped[datetime | None]
    handoff_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The owner or staff member answering this customer in person; the agent stays silent meanwhile."""
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer",
        lazy="raise",
        order_by="(CustomerAddress.is_default.desc(), CustomerAddress.created_at)",
        cascade="all, delete-orphan",
    )


@tenant_table
class CustomerAddress(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A delivery address of a customer; at most one is the default."""

    __tablename__ = "customer_addresses"
    __table_args__ = (
        Index("ix_customer_addresses_client_id_customer_id", "client_id", "customer_id"),
        Index(
            "ix_customer_addresses_one_default",
            "customer_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(60), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    is_default: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses", lazy="raise")

    def one_line(self) -> str:
        """The address as the order keeps it (a snapshot that later edits do not change)."""
        parts = (self.line1, self.line2, self.city, self.region, self.postcode, self.country)
        return ", ".join(part for part in parts if part)
