"""The append-only stock ledger and the FIFO receipt layers that stock aging reads."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, UnitCost, str_enum, tenant_table, utcnow


class MovementKind(enum.StrEnum):
    """Why stock moved."""

    RECEIPT = "receipt"
    SALE = "sale"
    CANCELLATION = "cancellation"
    RETURN = "return"
    ADJUSTMENT = "adjustment"


@tenant_table
class StockMovement(TenantOwned, Base):
    """One signed change of a variant's stock; inserted, never updated (the app role cannot)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_not_negative"),
        Index("ix_stock_movements_client_variant_time", "client_id", "variant_id", "created_at"),
        Index("ix_stock_movements_client_kind_time", "client_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    quantity: Mapped[int]
    unit_cost: Mapped[UnitCost]
    value: Mapped[Decimal]
    balance_after: Mapped[int]
    avg_cost_after: Mapped[UnitCost]
    reason: Mapped[str] = mapped_column(Text, default="")
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID | None]
    actor_user_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


@tenant_table
class ReceiptLayer(TenantOwned, Base):
    """Stock that came in together (receipt, return, found stock), consumed first-in-first-out."""

    __tablename__ = "receipt_layers"
    __table_args__ = (
        CheckConstraint("quantity_remaining >= 0 AND quantity_remaining <= quantity_received", name="remaining_range"),
        Index(
            "ix_receipt_layers_open",
            "client_id",
            "variant_id",
            "received_at",
            postgresql_where="quantity_remaining > 0",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movements.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    quantity_received: Mapped[int]
    quantity_remaining: Mapped[int]
    unit_cost: Mapped[UnitCost]
