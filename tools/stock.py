"""Stock tools (owners and staff only): levels of a SKU, what is running low, count corrections
(past the business's daily threshold per variant they wait for the owner), receipts (posted to
the books only after the requester confirms a summary; at a cost far from the average they wait
for the owner), reorder suggestions from sales
velocity, and, for owners (the domain refuses staff), stock aging and inventory valuation."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, catalog, inventory, product_figures, reports
from domain.context import Context
from tools.analytics import ProductArgs
from tools.confirmation import ask_to_confirm, current_thread, request_key, submit
from tools.runtime import ToolEnv, make_tool, money
from tools.sales import SkuArgs


class LowStockArgs(BaseModel):
    """Arguments of list_low_stock."""

    limit: int = Field(default=10, ge=1, le=50)


class AdjustStockArgs(BaseModel):
    """Arguments of adjust_stock."""

    sku: str = Field(min_length=1, max_length=catalog.MAX_SKU_LENGTH)
    delta: int = Field(
        ge=-inventory.MAX_QUANTITY, le=inventory.MAX_QUANTITY, description="Units to add (+) or remove (-)"
    )
    reason: str = Field(min_length=1, max_length=200, description="Why: damaged, lost, counted, found")
    tool_call_id: Annotated[str, InjectedToolCallId]


class RecordReceiptArgs(BaseModel):
    """Arguments of record_receipt."""

    sku: str = Field(min_length=1, max_length=catalog.MAX_SKU_LENGTH)
    quantity: int = Field(ge=1, le=inventory.MAX_QUANTITY, description="Units received")
    unit_cost: Decimal = Field(
        ge=0, le=10**9, max_digits=14, decimal_places=4, description="What one unit cost, e.g. 6.50"
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


class ReorderArgs(BaseModel):
    """Arguments of suggest_reorders."""

    days: int = Field(default=30, ge=1, le=inventory.MAX_REORDER_DAYS, description="Sales window, in days")
    cover_days: int = Field(default=14, ge=1, le=inventory.MAX_REORDER_DAYS, description="Days of stock to buy")


def build_stock_tools(env: ToolEnv) -> list[BaseTool]:
    """The stock agent's tools for this conversation."""

    def check_stock(sku: str) -> dict[str, Any]:
        """Units on hand and the reorder point of one SKU.

        Args:
            sku: the SKU, exactly as search_products returned it.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            return {
                "sku": variant.sku,
                "product": variant.product.name,
                "on_hand": variant.on_hand,
                "reorder_point": variant.reorder_point,
            }

        return env.run(work)

    def check_product_stock(product: str) -> dict[str, Any]:
        """Units on hand of every size/colour of one product (zero included).

        Args:
            product: product words or a SKU, e.g. "linen shirt".
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            found, rows = product_figures.product_stock(session, ctx, product)
            return {
                "product": found.name,
                "total": sum(r.on_hand for r in rows),
                "variants": [
                    {"sku": r.sku, "options": r.options, "on_hand": r.on_hand, "reorder_point": r.reorder_point}
                    for r in rows
                ],
            }

        return env.run(work)

    def list_low_stock(limit: int = 10) -> dict[str, Any]:
        """SKUs at or below their reorder point, emptiest first.

        Args:
            limit: how many to list (1-50).
        """
        low = env.run(lambda s, c: inventory.low_stock_variants(s, c, limit=limit))
        return {
            "items": [
                {"sku": v.sku, "product": v.product.name, "on_hand": v.on_hand, "reorder_point": v.reorder_point}
                for v in low
            ]
        }

    def adjust_stock(sku: str, delta: int, reason: str, tool_call_id: str) -> dict[str, Any]:
        """Correct the count of a SKU by a signed number of units, with a reason, after the
        requester confirms a summary. Large corrections wait for the owner's approval.

        Args:
            sku: the SKU, exactly as search_products returned it.
            delta: units to add (positive) or remove (negative).
            reason: why the count changes (damaged, lost, counted, found).
        """

        def summarize(session: Session, ctx: Context) -> str:
            ctx.require_staff(action="adjusting stock")
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            return (
                f"Adjust {variant.product.name} ({variant.sku}) by {delta:+d} units ({reason}); "
                f"{variant.on_hand} on hand now, {variant.on_hand + delta} after."
            )

        summary = env.run(summarize)
        if not ask_to_confirm("adjust_stock", summary):
            return {"adjusted": False, "sku": sku}

        def request(session: Session, ctx: Context) -> approvals.ActionRequest:
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            return approvals.adjustment_request(
                variant.id, delta, reason, summary, request_key(tool_call_id), current_thread()
            )

        outcome = submit(env, request)
        return {
            "adjusted": outcome.ran,
            "status": outcome.status,
            "sku": sku,
            "delta": delta,
            "on_hand": outcome.result.get("on_hand"),
            "detail": outcome.result.get("detail"),
        }

    def record_receipt(sku: str, quantity: int, unit_cost: Decimal, tool_call_id: str) -> dict[str, Any]:
        """Record stock received from a supplier (it is paid from cash in the books), after the
        requester confirms a summary.

        Args:
            sku: the SKU, exactly as search_products returned it.
            quantity: units received.
            unit_cost: what one unit cost.
        """

        def summarize(session: Session, ctx: Context) -> str:
            ctx.require_staff(action="receiving stock")
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            total = money(Decimal(quantity) * Decimal(unit_cost))
            return (
                f"Receive {quantity} × {variant.product.name} ({variant.sku}) at {money(Decimal(unit_cost))} "
                f"each, paid {total}; {variant.on_hand} on hand now, {variant.on_hand + quantity} after."
            )

        summary = env.run(summarize)
        if not ask_to_confirm("record_receipt", summary):
            return {"received": False, "sku": sku}

        def request(session: Session, ctx: Context) -> approvals.ActionRequest:
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            return approvals.receipt_request(
                variant.id,
                quantity,
                Decimal(unit_cost),
                "received by chat",
                summary,
                request_key(tool_call_id),
                current_thread(),
            )

        outcome = submit(env, request)
        return {
            "received": outcome.ran,
            "status": outcome.status,
            "sku": sku,
            "quantity": quantity,
            "unit_cost": money(Decimal(unit_cost)),
            "on_hand": outcome.result.get("on_hand"),
            "detail": outcome.result.get("detail"),
        }

    def get_stock_aging() -> dict[str, Any]:
        """How long the stock on the shelf has been there (0-30, 31-60, 61-90, 90+ days), in units
        and at cost. Owners only."""
        buckets = env.run(lambda s, c: reports.stock_aging(s, c))
        return {"buckets": [{"days": b.label, "units": b.quantity, "value": money(b.value)} for b in buckets]}

    def get_inventory_valuation() -> dict[str, Any]:
        """The stock's book value at average cost: total, per category and the most valuable SKUs.
        Owners only."""
        valuation = env.run(lambda s, c: reports.inventory_valuation(s, c, limit=5))
        return {
            "total": money(valuation.total),
            "units": valuation.units,
            "categories": [
                {"category": c.category, "units": c.units, "value": money(c.value)} for c in valuation.categories
            ],
            "top_skus": [{"sku": v.sku, "on_hand": v.on_hand, "value": money(v.value)} for v in valuation.variants],
        }

    def suggest_reorders(days: int = 30, cover_days: int = 14) -> dict[str, Any]:
        """What to reorder and how much, from the units sold recently (enough for `cover_days` days
        at the recent daily rate, and at least above the reorder point).

        Args:
            days: the sales window to measure the daily rate over.
            cover_days: how many days of stock to buy.
        """
        rows = env.run(lambda s, c: inventory.reorder_suggestions(s, c, days=days, cover_days=cover_days))
        return {
            "days": days,
            "cover_days": cover_days,
            "items": [
                {
                    "sku": r.sku,
                    "product": r.product_name,
                    "on_hand": r.on_hand,
                    "per_day": str(r.velocity),
                    "suggested": r.suggested_quantity,
                }
                for r in rows
            ],
        }

    return [
        make_tool(check_stock, SkuArgs),
        make_tool(check_product_stock, ProductArgs),
        make_tool(list_low_stock, LowStockArgs),
        make_tool(adjust_stock, AdjustStockArgs),
        make_tool(record_receipt, RecordReceiptArgs),
        make_tool(get_stock_aging),
        make_tool(get_inventory_valuation),
        make_tool(suggest_reorders, ReorderArgs),
    ]
