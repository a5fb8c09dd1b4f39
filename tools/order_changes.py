"""Changing an order by chat: cancel it, or change where it is delivered.

Both follow place_order's pattern: a read-only summary first, then the graph pauses for the
requester's explicit yes (`ask_to_confirm`), and only then the write. Cancelling a confirmed order
also waits for the owner's decision (`wait_for_owner`), whose approval the domain accepts as the
clearance such a cancellation needs. Customers reach only their own orders (the domain filters
them; another customer's order is simply not found).
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, orders
from domain.context import Context
from domain.models import ApprovalKind, OrderStatus
from domain.orders import OrderChanges
from tools.confirmation import ask_to_confirm, wait_for_owner
from tools.runtime import ToolEnv, make_tool, money

CANCEL_REASON = "cancelled by chat"


class CancelOrderArgs(BaseModel):
    """Arguments of cancel_order."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    tool_call_id: Annotated[str, InjectedToolCallId]


class ChangeAddressArgs(BaseModel):
    """Arguments of change_delivery_address."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    address: str = Field(min_length=3, max_length=500, description="The new delivery address")
    tool_call_id: Annotated[str, InjectedToolCallId]


def build_order_change_tools(env: ToolEnv) -> list[BaseTool]:
    """The order-changing tools for this conversation."""

    def cancel_order(order_number: int, tool_call_id: str) -> dict[str, Any]:
        """Cancel an order, after the requester confirms. A confirmed order also needs the owner.

        Args:
            order_number: the order number, e.g. 1042.
        """

        def summarize(session: Session, ctx: Context) -> tuple[str, str, bool]:
            order = orders.get_order_by_number(session, ctx, order_number)
            needs_owner = orders.cancellation_needs_approval(ctx, order)
            items = ", ".join(f"{line.quantity} × {line.product_name}" for line in order.lines)
            text = f"Cancel order #{order.number} ({order.status.value}): {items}, total {money(order.total)}."
            return text, str(order.id), needs_owner

        summary, order_id, needs_owner = env.run(summarize)
        if not ask_to_confirm("cancel_order", summary):
            return {"cancelled": False, "order_number": order_number}
        approval_id = None
        if needs_owner:
            payload = {"order_id": order_id, "order_number": order_number}
            decision = wait_for_owner(env, ApprovalKind.CANCEL_CONFIRMED_ORDER, summary, payload, tool_call_id)
            if not decision.approved:
                return {"cancelled": False, "rejected": True, "order_number": order_number}
            approval_id = decision.approval_id

        def cancel(session: Session, ctx: Context) -> dict[str, Any]:
            order = orders.get_order_by_number(session, ctx, order_number)
            if order.status is not OrderStatus.CANCELLED:  # a retried resume cancels nothing twice
                clearance = approvals.get_approval(session, ctx, approval_id) if approval_id else None
                order = orders.cancel_order(session, ctx, order.id, CANCEL_REASON, clearance=clearance)
            return {"cancelled": True, "order_number": order.number, "status": order.status.value}

        return env.run(cancel)

    def change_delivery_address(order_number: int, address: str, tool_call_id: str) -> dict[str, Any]:
        """Change where a pending order is delivered, after the requester confirms.

        Args:
            order_number: the order number, e.g. 1042.
            address: the new delivery address.
        """
        address = address.strip()

        def summarize(session: Session, ctx: Context) -> str:
            order = orders.get_order_by_number(session, ctx, order_number)
            orders.check_editable(ctx, order)
            was = order.delivery_address or "no address"
            return f"Deliver order #{order.number} to {address} instead of {was}."

        summary = env.run(summarize)
        if not ask_to_confirm("change_delivery_address", summary):
            return {"changed": False, "order_number": order_number}

        def change(session: Session, ctx: Context) -> dict[str, Any]:
            order = orders.get_order_by_number(session, ctx, order_number)
            if order.delivery_address != address:  # setting the same address again changes nothing
                order = orders.update_order(session, ctx, order.id, OrderChanges(delivery_address=address))
            return {"changed": True, "order_number": order.number, "delivery_address": order.delivery_address}

        return env.run(change)

    return [make_tool(cancel_order, CancelOrderArgs), make_tool(change_delivery_address, ChangeAddressArgs)]
