"""Builders for domain tests: products with stock, in a given tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain import inventory
from domain.context import Context, scoped
from domain.models import Product, Variant

MakeVariant = Callable[..., Variant]


@pytest.fixture
def make_variant(db: Session) -> MakeVariant:
    """Create a one-variant product, optionally with stock.

    make_variant(ctx, "MUG-WHT", "12.50", stock=8, cost="5")
    """

    def build(
        ctx: Context,
        sku: str,
        price: str = "20.00",
        *,
        stock: int = 0,
        cost: str = "10.00",
        name: str | None = None,
        category: str = "general",
        received_at: datetime | None = None,
    ) -> Variant:
        product = Product(client_id=ctx.client_id, name=name or sku.replace("-", " ").title(), category=category)
        variant = Variant(client_id=ctx.client_id, sku=sku, price=Decimal(price))
        product.variants = [variant]
        scoped(db, ctx).add(product)
        db.flush()
        if stock:
            inventory.receive_stock(db, ctx, variant.id, stock, Decimal(cost), received_at=received_at)
        return variant

    return build
