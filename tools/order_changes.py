"""Changing an order by chat: cancel it, change where it is delivered or what is in it (pending
orders), return or exchange delivered items within the return window.

All follow place_order's pattern: a read-only summary first, then the graph pauses for the
requester's explicit yes (`ask_to_confirm`), and only then the write. Cancelling a confirmed order
also waits for the owner's decision (`wait_for_owner`), whose approval the domain accepts as the
clearance such a cancellation needs. Customers reach only their own orders (the domain filters
them; another customer's order is simply not found).

Item changes and returns are previewed by running the domain call in a savepoint that is rolled
back: the summary shows the domain's own totals and refusals, and nothing is kept before the yes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import approvals, catalog, orders, returns
from domain.context import Context
from domain.errors import NotFound
from domain.models import ApprovalKind, ItemCondition, Order, OrderStatus, Return, ReturnKind
from domain.orders import LineRequest, OrderChanges
from domain.returns import ReturnItem
from tools.confirmation import ask_to_confirm, wait_for_owner
from tools.discount import ItemArgs
from tools.runtime import ToolEnv, make_tool, money

CANCEL_REASON = "cancelled by chat"
T = TypeVar("T")


@contextmanager
def _rolled_back(session: Session) -> Iterator[None]:
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


def preview(session: Session, work: Callable[[], T]) -> T:
    """Run a domain write in a savepoint that is always rolled back; return what `work` returned."""
    with _rolled_back(session):
        return work()


class CancelOrderArgs(BaseModel):
    """Arguments of cancel_order."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    tool_call_id: Annotated[str, InjectedToolCallId]


class ChangeAddressArgs(BaseModel):
    """Arguments of change_delivery_address."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    address: str = Field(min_length=3, max_length=500, description="The new delivery address")
    tool_call_id: Annotated[str, InjectedToolCallId]


class ChangeItemsArgs(BaseModel):
    """Arguments of change_order_items."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    items: list[ItemArgs] = Field(
        min_length=1, max_length=20, description="Everything the order should contain afterwards: SKUs and quantities"
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


class ReturnItemArgs(BaseModel):
    """Units of one SKU of the order coming back."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)
    damaged: bool = Field(default=False, description="True when the item arrived or came back damaged")


class ReturnItemsArgs(BaseModel):
    """Arguments of return_items."""

    order_number: int = Field(ge=1, le=10**9, description="The order number, e.g. 1042")
    items: list[ReturnItemArgs] = Field(min_length=1, max_length=20, description="SKUs of the order and quantities")
    exchange_for_sku: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Another size/colour of the same product, for an exchange",
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


def _describe_lines(order: Order) -> str:
    return ", ".join(f"{line.quantity} × {line.product_name} ({line.sku})" for line in order.lines) or "nothing"


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

    def change_order_items(order_number: int, items: list[ItemArgs], tool_call_id: str) -> dict[str, Any]:
        """Change what a pending order contains, after the requester confirms. `items` is the whole
        new contents: SKUs left out are removed.

        Args:
            order_number: the order number, e.g. 1042.
            items: every SKU and quantity the order should contain afterwards.
        """

        def wanted(session: Session, ctx: Context) -> list[LineRequest]:
            return [LineRequest(catalog.get_variant_by_sku(session, ctx, i.sku).id, i.quantity) for i in items]

        def summarize(session: Session, ctx: Context) -> str:
            order = orders.get_order_by_number(session, ctx, order_number)
            orders.check_editable(ctx, order)
            before, lines = _describe_lines(order), wanted(session, ctx)

            def change() -> str:
                changed = orders.update_order(session, ctx, order.id, OrderChanges(lines=lines))
                return (
                    f"Change order #{changed.number} from {before} to {_describe_lines(changed)}. "
                    f"New total {money(changed.total)}."
                )

            return preview(session, change)

        summary = env.run(summarize)
        if not ask_to_confirm("change_order_items", summary):
            return {"changed": False, "order_number": order_number}

        def change(session: Session, ctx: Context) -> dict[str, Any]:
            order = orders.get_order_by_number(session, ctx, order_number)
            lines = orders.merge_lines(wanted(session, ctx))
            if {line.variant_id: line.quantity for line in order.lines} != lines:  # a retried resume: no-op
                changes = OrderChanges(lines=[LineRequest(v, q) for v, q in lines.items()])
                order = orders.update_order(session, ctx, order.id, changes)
            return {
                "changed": True,
                "order_number": order.number,
                "items": [
                    {"sku": line.sku, "product": line.product_name, "quantity": line.quantity} for line in order.lines
                ],
                "total": money(order.total),
            }

        return env.run(change)

    def return_items(
        order_number: int, items: list[ReturnItemArgs], tool_call_id: str, exchange_for_sku: str | None = None
    ) -> dict[str, Any]:
        """Return delivered items of an order within the return window for a refund, or exchange
        them for another variant of the same product, after the requester confirms.

        Args:
            order_number: the order number, e.g. 1042.
            items: SKUs from the order and how many of each come back (damaged or not).
            exchange_for_sku: for an exchange, the SKU wanted instead (same product).
        """
        reason = f"by chat ({tool_call_id})"

        def request(session: Session, ctx: Context) -> tuple[Order, list[ReturnItem]]:
            order = orders.get_order_by_number(session, ctx, order_number)
            by_sku = {line.sku: line for line in order.lines}
            swap = catalog.get_variant_by_sku(session, ctx, exchange_for_sku).id if exchange_for_sku else None
            wanted: list[ReturnItem] = []
            for item in items:
                line = by_sku.get(item.sku)
                if line is None:
                    raise NotFound(f"{item.sku} is not on order #{order.number}")
                condition = ItemCondition.DAMAGED if item.damaged else ItemCondition.RESELLABLE
                wanted.append(ReturnItem(line.id, item.quantity, condition, replacement_variant_id=swap))
            return order, wanted

        def describe(record: Return, order: Order) -> dict[str, Any]:
            names = {line.id: line for line in order.lines}
            back = ", ".join(
                f"{rl.quantity} × {names[rl.order_line_id].product_name} ({names[rl.order_line_id].sku})"
                for rl in record.lines
            )
            return {
                "kind": record.kind.value,
                "items": back,
                "refund": money(record.refund_amount),
                "charge": money(record.charge_amount),
            }

        def summarize(session: Session, ctx: Context) -> str:
            order, wanted = request(session, ctx)

            def attempt() -> dict[str, Any]:
                return describe(returns.create_return(session, ctx, order.id, wanted, reason=reason), order)

            done = preview(session, attempt)
            if done["kind"] == ReturnKind.EXCHANGE.value:
                money_part = (
                    f"you pay {done['charge']} more" if done["charge"] != "0.00" else f"refund {done['refund']}"
                )
                return f"Exchange {done['items']} from order #{order_number} for {exchange_for_sku}; {money_part}."
            return f"Return {done['items']} from order #{order_number}; refund {done['refund']}."

        summary = env.run(summarize)
        if not ask_to_confirm("return_items", summary):
            return {"returned": False, "order_number": order_number}

        def give_back(session: Session, ctx: Context) -> dict[str, Any]:
            order, wanted = request(session, ctx)
            record = session.scalar(select(Return).where(Return.order_id == order.id, Return.reason == reason))
            if record is None:  # a retried resume returns nothing twice
                record = returns.create_return(session, ctx, order.id, wanted, reason=reason)
            return {"returned": True, "order_number": order.number} | describe(record, order)

        return env.run(give_back)

    return [
        make_tool(cancel_order, CancelOrderArgs),
        make_tool(change_delivery_address, ChangeAddressArgs),
        make_tool(change_order_items, ChangeItemsArgs),
        make_tool(return_items, ReturnItemsArgs),
    ]
