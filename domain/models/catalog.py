"""Products and their variants (the stock-keeping units)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.base import Base, CreatedAt, TenantOwned, UnitCost, UUIDPrimaryKey, tenant_table, utcnow


def _weighted(config: str, expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('{config}', coalesce({expression}, '')), '{weight}')"


PRODUCT_SEARCH_VECTOR = " || ".join(
    _weighted(config, column, weight)
    for column, weight in (("name", "A"), ("category", "B"), ("description", "C"))
    for config in ("simple", "english")
)
"""Name (A), category (B) and description (C), each as written ('simple') and English-stemmed, so
"shirts" finds "shirt" while "LSS01" or "кружка" still match as typed."""

VARIANT_SEARCH_VECTOR = f"{_weighted('simple', 'sku', 'A')} || " + " || ".join(
    f"setweight(jsonb_to_tsvector('{config}'::regconfig, options, '[\"string\", \"key\"]'), 'B')"
    for config in ("simple", "english")
)
"""The SKU (A) and the option names and values (B), as written and English-stemmed."""


@tenant_table
class Product(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """What a shop sells; stock and price live on its variants."""

    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_search", "search_vector", postgresql_using="gin"),
        Index("ix_products_client_id_category", "client_id", "category"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="general")
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(PRODUCT_SEARCH_VECTOR, persisted=True),
        deferred=True,
    )

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", lazy="raise", order_by="Variant.sku", cascade="all, delete-orphan"
    )


@tenant_table
class Variant(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A stock-keeping unit: its SKU, options, price, stock level and weighted-average cost.

    `on_hand` and `avg_cost` are kept beside the stock-movement ledger, in the same transaction;
    the inventory account equals Σ round(on_hand × avg_cost, 2).
    """

    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("client_id", "sku"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("avg_cost >= 0", name="avg_cost_not_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    price: Mapped[Decimal]
    reorder_point: Mapped[int] = mapped_column(default=0)
    on_hand: Mapped[int] = mapped_column(default=0)
    avg_cost: Mapped[UnitCost] = mapped_column(default=Decimal("0"))
    is_active: Mapped[bool] = mapped_column(default=True)

    search_vector: Mapped[str] = mapped_column(TSVECTOR, Computed(VARIANT_SEARCH_VECTOR, persisted=True), deferred=True)

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")
