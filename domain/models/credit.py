"""Store credit movements: every change of a customer's balance, append-only."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, UUIDPrimaryKey, str_enum, tenant_table, utcnow
from domain.models.channel import Channel


class CreditKind(enum.StrEnum):
    """Why a balance moved."""

    GRANT = "grant"
    DEDUCTION = "deduction"
    ORDER_PAYMENT = "order_payment"
    ORDER_CANCELLED = "order_cancelled"
    REFUND = "refund"


@tenant_table
class StoreCreditMovement(UUIDPrimaryKey, TenantOwned, Base):
    """A signed change of one customer's store credit, with the balance after it; never updated."""

    __tablename__ = "store_credit_movements"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_not_negative"),
        Index("ix_store_credit_movements_client_customer_time", "client_id", "customer_id", "created_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[CreditKind] = mapped_column(str_enum(CreditKind))
    amount: Mapped[Decimal]
    balance_after: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text, default="")
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID | None]
    created_by_user_id: Mapped[uuid.UUID | None]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
