"""Stock tools (owners and staff only): levels of a SKU, what is running low, and count
corrections (an adjustment above `inventory.ADJUSTMENT_APPROVAL_UNITS` waits for the owner)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, catalog, inventory
from domain.context import Context
from domain.errors import ValidationFailed
from domain.models import ApprovalKind
from tools.confirmation import wait_for_owner
from tools.runtime import ToolEnv, make_tool
from tools.sales import SkuArgs


class LowStockArgs(BaseModel):
    """Arguments of list_low_stock."""

    limit: int = Field(default=10, ge=1, le=50)


class AdjustStockArgs(BaseModel):
    """Arguments of adjust_stock."""

    sku: str = Field(min_length=1, max_length=64)
    delta: int = Field(
        ge=-inventory.MAX_QUANTITY, le=inventory.MAX_QUANTITY, description="Units to add (+) or remove (-)"
    )
    reason: str = Field(min_length=1, max_length=200, description="Why: damaged, lost, counted, found")
    tool_call_id: Annotated[str, InjectedToolCallId]


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
        """Correct the count of a SKU by a signed number of units, with a reason. Large corrections
        wait for the owner's approval.

        Args:
            sku: the SKU, exactly as search_products returned it.
            delta: units to add (positive) or remove (negative).
            reason: why the count changes (damaged, lost, counted, found).
        """

        def check(session: Session, ctx: Context) -> tuple[str, bool]:
            if delta == 0:
                raise ValidationFailed("the adjustment must be a non-zero whole number of units")
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            ctx.require(*inventory.STAFF_ROLES, action="adjusting stock")
            return str(variant.id), inventory.adjustment_needs_approval(ctx, delta)

        variant_id, needs_owner = env.run(check)
        approval_id = None
        if needs_owner:
            summary = f"Adjust {sku} by {delta:+d} units ({reason})."
            payload = {"variant_id": variant_id, "sku": sku, "delta": delta, "reason": reason}
            decision = wait_for_owner(env, ApprovalKind.STOCK_ADJUSTMENT, summary, payload, tool_call_id)
            if not decision.approved:
                return {"adjusted": False, "rejected": True, "sku": sku, "delta": delta}
            approval_id = decision.approval_id

        def adjust(session: Session, ctx: Context) -> dict[str, Any]:
            variant = catalog.get_variant_by_sku(session, ctx, sku)
            clearance = approvals.get_approval(session, ctx, approval_id) if approval_id else None
            inventory.adjust_stock(session, ctx, variant.id, delta, reason, clearance=clearance)
            return {"adjusted": True, "sku": sku, "delta": delta, "on_hand": variant.on_hand}

        return env.run(adjust)

    return [
        make_tool(check_stock, SkuArgs),
        make_tool(list_low_stock, LowStockArgs),
        make_tool(adjust_stock, AdjustStockArgs),
    ]
