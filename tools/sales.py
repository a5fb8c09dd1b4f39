"""Sales tools: find products, their price and availability, the business's hours and policy,
an order's status, and orders listed by status and period (a customer sees only their own).
Read-only: writes that change a customer's order go through confirmation."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import catalog, orders, search, tenancy
from domain.context import Context
from domain.models import Order, OrderStatus, Variant
from domain.periods import PeriodName
from tools.periods import PERIOD_HELP, PeriodSpec
from tools.runtime import ToolEnv, make_tool, money


class SearchProductsArgs(BaseModel):
    """Arguments of search_products."""

    query: str = Field(
        min_length=1, max_length=200, description="Product words or a SKU, e.g. 'blue shirt' or 'CCTS00-M'"
    )
    limit: int = Field(default=5, ge=1, le=10)


class SkuArgs(BaseModel):
    """A product variant named by its SKU."""

    sku: str = Field(min_length=1, max_length=catalog.MAX_SKU_LENGTH, description="The SKU from search_products")


class OrderNumberArgs(BaseModel):
    """An order named by its number."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")


class ListOrdersArgs(PeriodSpec):
    """Arguments of list_orders: any period (default: all time) and status."""

    period: PeriodName | None = Field(default=None, description="Omit for all time; else " + PERIOD_HELP)
    status: OrderStatus | None = Field(default=None, description="Only orders in this status")
    limit: int = Field(default=10, ge=1, le=50)


def describe_order(order: Order) -> dict[str, Any]:
    """An order in a list: number, status, date, items and total."""
    return {
        "order_number": order.number,
        "status": order.status.value,
        "placed": f"{order.created_at:%Y-%m-%d}",
        "items": ", ".join(f"{line.quantity} × {line.product_name}" for line in order.lines),
        "total": money(order.total),
    }


def describe_variant(variant: Variant) -> dict[str, Any]:
    """What a shopper may know about a SKU: no cost, no margin."""
    return {
        "sku": variant.sku,
        "product": variant.product.name,
        "category": variant.product.category,
        "options": variant.options,
        "price": money(variant.price),
        "in_stock": variant.on_hand,
    }


def build_sales_tools(env: ToolEnv) -> list[BaseTool]:
    """The sales agent's read tools for this conversation."""

    def search_products(query: str, limit: int = 5) -> dict[str, Any]:
        """Find products by words or SKU. Returns the best matches with SKU, price and units in stock.

        Args:
            query: product words (name, category, colour, size) or an exact SKU.
            limit: how many matches to return (1-10).
        """
        matches = env.run(
            lambda s, c: [describe_variant(v) for v in search.search_variants(s, c, query, limit, env.meaning)]
        )
        return {"matches": matches, "hint": "" if matches else "nothing matched; ask for other words"}

    def get_product_details(sku: str) -> dict[str, Any]:
        """Price, options, description and availability of one SKU.

        Args:
            sku: the SKU, exactly as search_products returned it.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            return describe_variant(variant) | {"description": variant.product.description}

        return env.run(work)

    def get_business_info() -> dict[str, Any]:
        """The shop's opening hours, whether it is open now, its return policy and currency."""
        info = env.run(lambda s, c: tenancy.business_info(s, c))
        return {
            "name": info.name,
            "about": info.overview,
            "hours": f"{info.opening_hours:%H:%M}-{info.closing_hours:%H:%M} ({info.timezone})",
            "open_now": info.is_open_now,
            "return_policy": info.returns_summary,
            "return_window_days": info.return_window_days,
            "currency": info.currency,
        }

    def get_order_status(order_number: int) -> dict[str, Any]:
        """Status, items and total of an order (customers see only their own orders).

        Args:
            order_number: the order number, e.g. 1042.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            order = orders.get_order_by_number(session, ctx, order_number)
            return {
                "order_number": order.number,
                "status": order.status.value,
                "payment": order.payment_status.value,
                "items": [
                    {"sku": line.sku, "product": line.product_name, "quantity": line.quantity} for line in order.lines
                ],
                "total": money(order.total),
                "discount_approval": order.discount_approval.value,
                "delivery_address": order.delivery_address,
            }

        return env.run(work)

    def list_orders(
        status: OrderStatus | None = None, limit: int = 10, period: PeriodName | None = None, **dates: Any
    ) -> dict[str, Any]:
        """Orders newest first, with how many match: by status and by the period they were placed
        in (today, yesterday, last week, a month, a date range...). A customer gets only their own
        orders ("my orders").

        Args:
            status: only orders in this status (pending, confirmed, delivered, cancelled, returned...).
            limit: how many to list (1-50); the count covers them all.
            period: when they were placed; omit for all time.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            label, since, until = "all time", None, None
            if period is not None:
                resolved = PeriodSpec(period=period, **dates).resolve(session, ctx)
                label, since, until = resolved.label, resolved.start, resolved.end
            found, total = orders.list_orders(
                session, ctx, orders.OrderFilter(status=status, since=since, until=until), limit=limit
            )
            return {
                "period": label,
                "status": status.value if status else "any",
                "count": total,
                "orders": [describe_order(o) for o in found],
            }

        return env.run(work)

    return [
        make_tool(search_products, SearchProductsArgs),
        make_tool(get_product_details, SkuArgs),
        make_tool(get_business_info),
        make_tool(get_order_status, OrderNumberArgs),
        make_tool(list_orders, ListOrdersArgs),
    ]
