"""A product's figures across all its variants, found by words: stock of every size and colour
(staff and owners) and margin, price against average cost (owners only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from domain import search
from domain.context import Context
from domain.errors import NotFound
from domain.models import Product, Role, Variant
from domain.money import ZERO, cents


@dataclass(frozen=True)
class VariantStock:
    """One variant's options and units on hand."""

    sku: str
    options: dict[str, str]
    on_hand: int
    reorder_point: int


@dataclass(frozen=True)
class VariantMargin:
    """One variant's price, average cost and margin (amount and % of the price)."""

    sku: str
    options: dict[str, str]
    price: Decimal
    avg_cost: Decimal
    margin: Decimal
    margin_pct: Decimal


def _product(session: Session, ctx: Context, text: str) -> tuple[Product, list[Variant]]:
    """The best-matching product for `text` (typos tolerated) and all its variants, by SKU."""
    page = search.search_products(session, ctx, text, limit=1)
    if not page.hits:
        raise NotFound(f"no product matches {text!r}; try other words or a SKU")
    product = page.hits[0].product
    return product, sorted((v for v in product.variants if v.is_active), key=lambda v: v.sku)


def product_stock(session: Session, ctx: Context, text: str) -> tuple[Product, list[VariantStock]]:
    """Units on hand of every active size/colour of the product `text` names. Staff and owners."""
    ctx.require_staff(action="reading stock levels")
    product, variants = _product(session, ctx, text)
    return product, [VariantStock(v.sku, dict(v.options), v.on_hand, v.reorder_point) for v in variants]


def product_margins(session: Session, ctx: Context, text: str) -> tuple[Product, list[VariantMargin]]:
    """Price, weighted-average cost and margin of every active variant of the product. Owners only."""
    ctx.require(Role.OWNER, action="reading product margins")
    product, variants = _product(session, ctx, text)
    rows = []
    for v in variants:
        cost = cents(v.avg_cost)
        margin = v.price - cost
        pct = cents(margin * 100 / v.price) if v.price else ZERO
        rows.append(VariantMargin(v.sku, dict(v.options), v.price, cost, margin, pct))
    return product, rows
