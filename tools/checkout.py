"""Placing an order by chat. Nothing is written until the customer explicitly confirms a summary
of exactly what will be ordered: the tool pauses the graph (LangGraph `interrupt`) and the
channel resumes it with the customer's answer. The code before the pause only reads, so it is
safe to run again on resume; the order's idempotency key is the tool call id, so a retried
resume cannot place it twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from langgraph.types import interrupt
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import catalog, orders
from domain.context import Context
from domain.models import PaymentMethod
from domain.orders import LineRequest, OrderDraft
from tools.discount import ItemArgs
from tools.runtime import ToolEnv, make_tool, money


class PlaceOrderArgs(BaseModel):
    """Arguments of place_order."""

    items: list[ItemArgs] = Field(min_length=1, max_length=20, description="SKUs and quantities to order")
    delivery_address: str | None = Field(default=None, max_length=500)
    payment_method: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    tool_call_id: Annotated[str, InjectedToolCallId]


def confirmation_request(action: str, summary: str) -> dict[str, Any]:
    """What a paused tool hands the channel: show `summary`, ask for yes or no."""
    return {"kind": "confirm", "action": action, "summary": summary}


def is_confirmed(answer: object) -> bool:
    """Whether the channel resumed with the customer's explicit yes."""
    return isinstance(answer, dict) and answer.get("confirmed") is True


def build_checkout_tools(env: ToolEnv) -> list[BaseTool]:
    """The ordering tool for this conversation."""

    def place_order(
        items: list[ItemArgs],
        tool_call_id: str,
        delivery_address: str | None = None,
        payment_method: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY,
        discount_pct: Decimal = Decimal(0),
    ) -> dict[str, Any]:
        """Order items for the customer, after they confirm a summary. Use SKUs from search_products.

        Args:
            items: SKUs and quantities.
            delivery_address: where to deliver, if the customer gave it.
            payment_method: how the customer will pay.
            discount_pct: a discount already agreed under the shop's policy.
        """

        def lines(session: Session, ctx: Context) -> list[LineRequest]:
            return [LineRequest(catalog.get_variant_by_sku(session, ctx, i.sku).id, i.quantity) for i in items]

        def summarize(session: Session, ctx: Context) -> str:
            quote = orders.quote_order(session, ctx, lines(session, ctx), discount_pct)
            rows = [
                f"{line.quantity} × {variant.product.name} ({variant.sku}) at {money(line.unit_price)}"
                for variant, line in zip(quote.variants, quote.totals.lines, strict=True)
            ]
            discount = f", discount {money(quote.totals.discount_amount)}" if quote.totals.discount_amount else ""
            where = f"; deliver to {delivery_address}" if delivery_address else ""
            return f"{'; '.join(rows)}{discount}. Total {money(quote.totals.total)}, {payment_method.value}{where}."

        summary = env.run(summarize)
        if not is_confirmed(interrupt(confirmation_request("place_order", summary))):
            return {"placed": False, "summary": summary}

        def create(session: Session, ctx: Context) -> dict[str, Any]:
            draft = OrderDraft(
                lines=lines(session, ctx),
                payment_method=payment_method,
                discount_pct=discount_pct,
                customer_id=ctx.customer_id,
                delivery_address=delivery_address,
                idempotency_key=f"agent:{tool_call_id}",
            )
            order = orders.create_order(session, ctx, draft)
            return {
                "placed": True,
                "order_number": order.number,
                "status": order.status.value,
                "total": money(order.total),
                "discount_approval": order.discount_approval.value,
            }

        return env.run(create)

    return [make_tool(place_order, PlaceOrderArgs)]
