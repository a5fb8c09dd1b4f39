"""Orders, their lines, and returns/exchanges against delivered lines."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.approvals import ApprovalStatus
from domain.models.base import (
    Base,
    CreatedAt,
    Percent,
    TenantOwned,
    UnitCost,
    UUIDPrimaryKey,
    str_enum,
    tenant_table,
    utcnow,
)
from domain.models.channel import Channel


class OrderStatus(enum.StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


class PaymentMethod(enum.StrEnum):
    """How the customer pays; refunds go back the same way."""

    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    MOBILE_MONEY = "mobile_money"
    CASH_ON_DELIVERY = "cash_on_delivery"
    STORE_CREDIT = "store_credit"


class RefundMethod(enum.StrEnum):
    """How a return's refund is paid: the way the order was paid, in cash, or as store credit."""

    ORIGINAL = "original"
    CASH = "cash"
    STORE_CREDIT = "store_credit"


class PaymentStatus(enum.StrEnum):
    """Whether the money is in."""

    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@tenant_table
class OrderNumber(Base):
    """A shop's next order number, in a narrow row of its own: every order updates it, and a busy
    counter on `clients` (the row every foreign key of the shop checks) slowed each of those checks."""

    __tablename__ = "order_numbers"
    __table_args__ = {"postgresql_with": {"fillfactor": 10}}  # room on the page for the counter's next versions

    client_id: Mapped[str] = mapped_column(String(40), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    next_number: Mapped[int] = mapped_column(default=1001)


@tenant_table
class Order(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A sale: lines with snapshotted prices and costs, discount, commission and payment."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("client_id", "number"),
        UniqueConstraint("client_id", "idempotency_key"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="discount_range"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("store_credit_amount >= 0 AND store_credit_amount <= total", name="store_credit_range"),
        Index("ix_orders_client_id_created_at", "client_id", "created_at"),
        Index("ix_orders_client_id_status", "client_id", "status"),
        Index("ix_orders_client_id_customer_id", "client_id", "customer_id"),
    )

    number: Mapped[int]
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.PENDING)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    payment_status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), default=PaymentStatus.UNPAID)
    delivery_address: Mapped[str | None] = mapped_column(Text)
    delivery_address_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer_addresses.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="")
    subtotal: Mapped[Decimal]
    discount_pct: Mapped[Percent]
    discount_amount: Mapped[Decimal]
    total: Mapped[Decimal]
    cogs_total: Mapped[Decimal]
    commission_pct: Mapped[Percent]
    commission_amount: Mapped[Decimal]
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    store_credit_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    store_credit_refunded: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    discount_approval: Mapped[ApprovalStatus] = mapped_column(
        str_enum(ApprovalStatus), default=ApprovalStatus.NOT_NEEDED
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderLine.position", cascade="all, delete-orphan"
    )


@tenant_table
class OrderLine(UUIDPrimaryKey, TenantOwned, Base):
    """One SKU on an order, with price and cost as they were when sold."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_range"),
        Index("ix_order_lines_client_id_variant_id", "client_id", "variant_id"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    unit_cost: Mapped[UnitCost]
    line_subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    line_total: Mapped[Decimal]
    cogs_amount: Mapped[Decimal]
    returned_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")


class ReturnKind(enum.StrEnum):
    """A refund, or a swap for another variant of the same product."""

    RETURN = "return"
    EXCHANGE = "exchange"


class ItemCondition(enum.StrEnum):
    """Whether returned goods go back on the shelf."""

    RESELLABLE = "resellable"
    DAMAGED = "damaged"


@tenant_table
class Return(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """Goods coming back against a delivered order: refunded or exchanged."""

    __tablename__ = "returns"
    __table_args__ = (Index("ix_returns_client_id_created_at", "client_id", "created_at"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReturnKind] = mapped_column(str_enum(ReturnKind))
    reason: Mapped[str] = mapped_column(Text, default="")
    refund_amount: Mapped[Decimal]
    charge_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    refund_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    store_credit_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    created_by_user_id: Mapped[uuid.UUID | None]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))

    lines: Mapped[list[ReturnLine]] = relationship(back_populates="return_", lazy="raise", cascade="all, delete-orphan")


@tenant_table
class ReturnLine(UUIDPrimaryKey, TenantOwned, Base):
    """How many units of one order line came back, in what condition, for how much."""

    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_return_lines_client_id_order_line_id", "client_id", "order_line_id"),
    )

    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    condition: Mapped[ItemCondition] = mapped_column(str_enum(ItemCondition))
    refund_amount: Mapped[Decimal]
    replacement_variant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"))
    price_difference: Mapped[Decimal] = mapped_column(default=Decimal("0"))

    return_: Mapped[Return] = relationship(back_populates="lines", lazy="raise")


class ReturnRequestStatus(enum.StrEnum):
    """A return request: opened, goods received (refund owed), refund paid; or rejected."""

    OPEN = "open"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


@tenant_table
class ReturnRequest(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A customer's (or staff's) request to return units, before the goods are back.

    `items` is `[{"order_line_id": "…", "quantity": n}]`; the return window is judged when the
    request is opened. Receiving the goods creates the `Return` (stock back, refund owed).
    """

    __tablename__ = "return_requests"
    __table_args__ = (
        Index("ix_return_requests_client_id_status_created_at", "client_id", "status", "created_at"),
        Index("ix_return_requests_client_id_order_id", "client_id", "order_id"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    status: Mapped[ReturnRequestStatus] = mapped_column(str_enum(ReturnRequestStatus), default=ReturnRequestStatus.OPEN)
    items: Mapped[list[dict[str, object]]] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    opened_by_user_id: Mapped[uuid.UUID | None]
    opened_by_customer_id: Mapped[uuid.UUID | None]
    return_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("returns.id", ondelete="SET NULL"))
    refund_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    rejection_note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    closed_by_user_id: Mapped[uuid.UUID | None]
