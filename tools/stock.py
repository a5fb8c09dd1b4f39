"""Stock tools (owners and staff only): levels of a SKU and what is running low."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import catalog, inventory
from domain.context import Context
from tools.runtime import ToolEnv, make_tool
from tools.sales import SkuArgs


class LowStockArgs(BaseModel):
    """Arguments of list_low_stock."""

    limit: int = Field(default=10, ge=1, le=50)


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

    return [make_tool(check_stock, SkuArgs), make_tool(list_low_stock, LowStockArgs)]
