"""Discount tools: quote a discount against the business's policy, with its commission impact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import catalog, inventory, orders
from domain.context import Context
from domain.models import ApprovalStatus, Role
from domain.orders import LineRequest
from tools.runtime import ToolEnv, make_tool, money

VERDICTS = {
    ApprovalStatus.NOT_NEEDED: "is allowed",
    ApprovalStatus.PENDING: "needs the owner's approval",
    ApprovalStatus.APPROVED: "is allowed (you are the owner)",
}


class ItemArgs(BaseModel):
    """Units of one SKU."""

    sku: str = Field(min_length=1, max_length=catalog.MAX_SKU_LENGTH)
    quantity: int = Field(ge=1, le=inventory.MAX_QUANTITY)


class QuoteDiscountArgs(BaseModel):
    """Arguments of quote_discount."""

    discount_pct: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2, description="Percent off, e.g. 10")
    items: list[ItemArgs] = Field(min_length=1, max_length=50, description="What the customer wants to buy")


def build_discount_tools(env: ToolEnv) -> list[BaseTool]:
    """The discount agent's tools for this conversation."""

    def quote_discount(discount_pct: Decimal, items: list[ItemArgs]) -> dict[str, Any]:
        """Check a discount against the shop's policy and price the items with it. Above the
        cap it is refused (the cap is stated); above the auto-approval threshold it needs the owner.

        Args:
            discount_pct: the percent off asked for.
            items: SKUs and quantities the discount would apply to.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            lines = [
                LineRequest(catalog.get_variant_by_sku(session, ctx, item.sku).id, item.quantity) for item in items
            ]
            quote = orders.quote_order(session, ctx, lines, discount_pct)
            result: dict[str, Any] = {
                "discount_pct": str(discount_pct),
                "verdict": VERDICTS[quote.approval],
                "subtotal": money(quote.totals.subtotal),
                "discount": money(quote.totals.discount_amount),
                "total": money(quote.totals.total),
            }
            if ctx.role is not Role.CUSTOMER:
                result["commission"] = money(quote.totals.commission_amount)
            return result

        return env.run(work)

    return [make_tool(quote_discount, QuoteDiscountArgs)]
