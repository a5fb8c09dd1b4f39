"""Clients (businesses), their users, platform admins and customers."""

from __future__ import annotations

import enum
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedAt, Percent, TenantOwned, UUIDPrimaryKey, str_enum, tenant_table


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
    messenger: Mapped[str | None] = mapped_column(String(200))
    required_api_keys: Mapped[list[str]] = mapped_column(JSONB, default=list)
    next_order_number: Mapped[int] = mapped_column(default=1001)


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
    )

    username: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


@tenant_table
class Customer(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """Someone who buys: a WhatsApp contact (wa_id, business-scoped user id) or a walk-in."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("client_id", "wa_id"),
        Index("ix_customers_client_id_wa_user_id", "client_id", "wa_user_id", unique=True),
    )

    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    wa_user_id: Mapped[str | None] = mapped_column(String(128))
    default_address: Mapped[str | None] = mapped_column(Text)
    last_inbound_at: Mapped[datetime | None]
