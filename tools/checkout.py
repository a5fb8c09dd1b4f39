"""Placing an order by chat. Nothing is written until the customer explicitly confirms a summary
of exactly what will be ordered: the tool pauses the graph (LangGraph `interrupt`) and the
channel resumes it with the customer's answer. The code before the pause only reads, so it is
safe to run again on resume; the order's idempotency key is the tool call id, so a retried
resume cannot place it twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, catalog, orders
from domain.context import Context
from domain.models import ApprovalKind, ApprovalStatus, PaymentMethod, Role
from domain.orders import LineRequest, OrderDraft
from tools.confirmation import ask_to_confirm, confirmation_request, is_confirmed, wait_for_owner
from tools.discount import ItemArgs
from tools.runtime import ToolEnv, make_tool, money


class PlaceOrderArgs(BaseModel):
    """Arguments of place_order."""

    items: list[ItemArgs] = Field(min_length=1, max_length=20, description="SKUs and quantities to order")
    delivery_address: str | None = Field(default=None, max_length=500)
    payment_method: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    tool_call_id: Annotated[str, InjectedToolCallId]


__all__ = ["PlaceOrderArgs", "build_checkout_tools", "confirmation_request", "is_confirmed"]


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

        def summarize(session: Session, ctx: Context) -> tuple[str, bool]:
            quote = orders.quote_order(session, ctx, lines(session, ctx), discount_pct)
            needs_owner = quote.approval is ApprovalStatus.PENDING and ctx.role is Role.CUSTOMER
            rows = [
                f"{line.quantity} × {variant.product.name} ({variant.sku}) at {money(line.unit_price)}"
                for variant, line in zip(quote.variants, quote.totals.lines, strict=True)
            ]
            discount = f", discount {money(quote.totals.discount_amount)}" if quote.totals.discount_amount else ""
            where = f"; deliver to {delivery_address}" if delivery_address else ""
            text = f"{'; '.join(rows)}{discount}. Total {money(quote.totals.total)}, {payment_method.value}{where}."
            return text, needs_owner

        summary, needs_owner = env.run(summarize)
        if not ask_to_confirm("place_order", summary):
            return {"placed": False, "summary": summary}
        approval_id = None
        if needs_owner:  # a customer's discount above the auto-approval threshold: the owner decides
            payload = {
                "discount_pct": str(Decimal(discount_pct)),
                "items": [i.model_dump() for i in items],
                "delivery_address": delivery_address,
            }
            decision = wait_for_owner(
                env, ApprovalKind.DISCOUNT, f"Order at {discount_pct}% off: {summary}", payload, tool_call_id
            )
            if not decision.approved:
                return {"placed": False, "rejected": True, "summary": summary}
            approval_id = decision.approval_id

        def create(session: Session, ctx: Context) -> dict[str, Any]:
            clearance = approvals.get_approval(session, ctx, approval_id) if approval_id else None
            draft = OrderDraft(
                lines=lines(session, ctx),
                payment_method=payment_method,
                discount_pct=discount_pct,
                customer_id=ctx.customer_id,
                delivery_address=delivery_address,
                idempotency_key=f"agent:{tool_call_id}",
            )
            order = orders.create_order(session, ctx, draft, clearance=clearance)
            return {
                "placed": True,
                "order_number": order.number,
                "status": order.status.value,
                "total": money(order.total),
                "discount_approval": order.discount_approval.value,
            }

        return env.run(create)

    return [make_tool(place_order, PlaceOrderArgs)]
