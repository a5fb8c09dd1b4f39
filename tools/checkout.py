"""Placing an order by chat. Nothing is written until the customer explicitly confirms a summary
of exactly what will be ordered: the tool pauses the graph (LangGraph `interrupt`) and the
channel resumes it with the customer's answer. The code before the pause only reads, so it is
safe to run again on resume; the order's idempotency key is the tool call id, so a retried
resume cannot place it twice. A discount that only the owner may grant sends the order to the
owner instead (`submit`): the domain places it when they approve."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, catalog, customers, orders
from domain.context import Context
from domain.models import ApprovalStatus, Customer, PaymentMethod
from domain.orders import LineRequest, OrderDraft
from tools.confirmation import confirmation_answer, current_thread, request_key, submit
from tools.discount import ItemArgs
from tools.runtime import ToolEnv, make_tool, money


class PlaceOrderArgs(BaseModel):
    """Arguments of place_order."""

    items: list[ItemArgs] = Field(min_length=1, max_length=20, description="SKUs and quantities to order")
    delivery_address: str | None = Field(default=None, max_length=500)
    payment_method: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    customer: str | None = Field(
        default=None, max_length=200, description="Staff taking an order for someone: their name or phone"
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


def build_checkout_tools(env: ToolEnv) -> list[BaseTool]:
    """The ordering tool for this conversation."""

    def place_order(
        items: list[ItemArgs],
        tool_call_id: str,
        delivery_address: str | None = None,
        payment_method: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY,
        discount_pct: Decimal = Decimal(0),
        customer: str | None = None,
    ) -> dict[str, Any]:
        """Order items (one or several SKUs) after the requester confirms a summary. Use the exact
        SKU of the size/colour asked for (ask when several fit). Stock is checked before asking.
        If they answer the summary with a change instead of yes, the result carries it in
        `answer`: call place_order again with the changed items.

        Args:
            items: SKUs and quantities.
            delivery_address: where to deliver, if the customer gave it.
            payment_method: how the customer will pay.
            discount_pct: a discount already agreed under the shop's policy.
            customer: staff ordering on behalf of a customer: the customer's name or phone.
        """

        def customer_for(session: Session, ctx: Context) -> Customer | None:
            return customers.find_one(session, ctx, customer) if customer else None

        def lines(session: Session, ctx: Context) -> list[LineRequest]:
            return [LineRequest(catalog.get_variant_by_sku(session, ctx, i.sku).id, i.quantity) for i in items]

        def summarize(session: Session, ctx: Context) -> str:
            quote = orders.quote_order(session, ctx, lines(session, ctx), discount_pct)
            orders.check_available(quote)
            buyer = customer_for(session, ctx)
            owner = " The discount needs the owner's approval." if quote.approval is ApprovalStatus.PENDING else ""
            rows = [
                f"{line.quantity} × {variant.product.name} ({variant.sku}) at {money(line.unit_price)}"
                for variant, line in zip(quote.variants, quote.totals.lines, strict=True)
            ]
            discount = f", discount {money(quote.totals.discount_amount)}" if quote.totals.discount_amount else ""
            where = f"; deliver to {delivery_address}" if delivery_address else ""
            total = money(quote.totals.total)
            who = f"For {buyer.name} ({buyer.phone or buyer.wa_id or 'no phone'}): " if buyer else ""
            return f"{who}{'; '.join(rows)}{discount}. Total {total}, {payment_method.value}{where}.{owner}"

        summary = env.run(summarize)
        answer = confirmation_answer("place_order", summary)
        if not answer.confirmed:
            return {"placed": False, "summary": summary, "answer": answer.text}

        def request(session: Session, ctx: Context) -> approvals.ActionRequest:
            draft = OrderDraft(
                lines=lines(session, ctx),
                payment_method=payment_method,
                discount_pct=Decimal(discount_pct),
                customer_id=buyer.id if (buyer := customer_for(session, ctx)) else ctx.customer_id,
                delivery_address=delivery_address,
            )
            return approvals.order_request(draft, summary, request_key(tool_call_id), current_thread())

        outcome = submit(env, request)
        return {
            "placed": outcome.ran,
            "status": outcome.status,
            "order_number": outcome.result.get("order_number"),
            "order_status": outcome.result.get("status"),
            "total": outcome.result.get("total"),
            "detail": outcome.result.get("detail"),
            "summary": summary,
        }

    return [make_tool(place_order, PlaceOrderArgs)]
