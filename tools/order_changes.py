"""Changing an order by chat: cancel it, change where it is delivered or what is in it (pending
orders), return or exchange delivered items within the return window.

All follow place_order's pattern: a read-only summary first (the domain's quote functions, which
apply the same checks as the write and take no locks), then the graph pauses for the requester's
explicit yes (`ask_to_confirm`), and only then the write, under the tool call's idempotency key.
Cancelling a confirmed order goes through `submit`: the domain runs it or, when only the owner
may, records it for the owner's decision. Customers reach only their own orders (the domain
filters them; another customer's order is simply not found).
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolCallId
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import approvals, catalog, inventory, orders, return_requests, returns, tenancy
from domain.context import Context
from domain.errors import NotFound
from domain.models import ItemCondition, Order, OrderStatus, Return, ReturnKind
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderChanges
from domain.returns import ReturnItem
from tools.confirmation import ask_to_confirm, current_thread, request_key, submit
from tools.discount import ItemArgs
from tools.runtime import ToolEnv, make_tool, money

CANCEL_REASON = "cancelled by chat"


class CancelOrderArgs(BaseModel):
    """Arguments of cancel_order."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")
    tool_call_id: Annotated[str, InjectedToolCallId]


class ChangeAddressArgs(BaseModel):
    """Arguments of change_delivery_address."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")
    address: str = Field(min_length=3, max_length=500, description="The new delivery address")
    tool_call_id: Annotated[str, InjectedToolCallId]


class ChangeItemsArgs(BaseModel):
    """Arguments of change_order_items."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")
    items: list[ItemArgs] = Field(
        min_length=1, max_length=20, description="Everything the order should contain afterwards: SKUs and quantities"
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


class ReturnItemArgs(BaseModel):
    """Units of one SKU of the order coming back."""

    sku: str = Field(min_length=1, max_length=catalog.MAX_SKU_LENGTH)
    quantity: int = Field(ge=1, le=inventory.MAX_QUANTITY)
    damaged: bool = Field(default=False, description="True when the item arrived or came back damaged")


class ReturnItemsArgs(BaseModel):
    """Arguments of return_items."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")
    items: list[ReturnItemArgs] = Field(min_length=1, max_length=20, description="SKUs of the order and quantities")
    exchange_for_sku: str | None = Field(
        default=None,
        min_length=1,
        max_length=catalog.MAX_SKU_LENGTH,
        description="Another size/colour of the same product, for an exchange",
    )
    tool_call_id: Annotated[str, InjectedToolCallId]


class RequestReturnArgs(BaseModel):
    """Arguments of request_return."""

    order_number: int = Field(ge=1, le=orders.MAX_ORDER_NUMBER, description="The order number, e.g. 1042")
    items: list[ItemArgs] = Field(min_length=1, max_length=20, description="SKUs of the order and quantities")
    reason: str = Field(default="", max_length=500, description="Why, in the customer's words")


def _describe_lines(order: Order) -> str:
    return ", ".join(f"{line.quantity} × {line.product_name} ({line.sku})" for line in order.lines) or "nothing"


def build_order_change_tools(env: ToolEnv) -> list[BaseTool]:
    """The order-changing tools for this conversation."""

    def cancel_order(order_number: int, tool_call_id: str) -> dict[str, Any]:
        """Cancel an order, after the requester confirms. A confirmed order also needs the owner.

        Args:
            order_number: the order number, e.g. 1042.
        """

        def summarize(session: Session, ctx: Context) -> str:
            order = orders.get_order_by_number(session, ctx, order_number)
            if order.status is not OrderStatus.CANCELLED:  # already cancelled: this is the resume after it
                orders.check_transition(order, OrderStatus.CANCELLED)
            items = ", ".join(f"{line.quantity} × {line.product_name}" for line in order.lines)
            return f"Cancel order #{order.number} ({order.status.value}): {items}, total {money(order.total)}."

        summary = env.run(summarize)
        if not ask_to_confirm("cancel_order", summary):
            return {"cancelled": False, "order_number": order_number}

        def request(session: Session, ctx: Context) -> approvals.ActionRequest:
            order = orders.get_order_by_number(session, ctx, order_number)
            return approvals.cancellation_request(
                order, CANCEL_REASON, summary, request_key(tool_call_id), current_thread()
            )

        outcome = submit(env, request)
        return {
            "cancelled": outcome.ran,
            "status": outcome.status,
            "order_number": order_number,
            "detail": outcome.result.get("detail"),
        }

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
            order = orders.update_order(
                session,
                ctx,
                order.id,
                OrderChanges(delivery_address=address),
                idempotency_key=request_key(tool_call_id),
            )
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
            quote = orders.quote_changes(session, ctx, order.id, wanted(session, ctx))
            after = ", ".join(f"{quantity} × {name} ({sku})" for sku, name, quantity in quote.lines)
            return (
                f"Change order #{order.number} from {_describe_lines(order)} to {after}. "
                f"New total {money(quote.totals.total)}."
            )

        summary = env.run(summarize)
        if not ask_to_confirm("change_order_items", summary):
            return {"changed": False, "order_number": order_number}

        def change(session: Session, ctx: Context) -> dict[str, Any]:
            order = orders.get_order_by_number(session, ctx, order_number)
            order = orders.update_order(
                session,
                ctx,
                order.id,
                OrderChanges(lines=wanted(session, ctx)),
                idempotency_key=request_key(tool_call_id),
            )
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

        def summarize(session: Session, ctx: Context) -> str:
            order, wanted = request(session, ctx)
            quote = returns.quote_return(session, ctx, order.id, wanted)
            back = ", ".join(f"{quantity} × {line.product_name} ({line.sku})" for line, quantity in quote.items)
            if quote.kind is ReturnKind.EXCHANGE:
                money_part = (
                    f"you pay {money(quote.charge_amount)} more"
                    if quote.charge_amount
                    else f"refund {money(quote.refund_amount)}"
                )
                return f"Exchange {back} from order #{order_number} for {exchange_for_sku}; {money_part}."
            return f"Return {back} from order #{order_number}; refund {money(quote.refund_amount)}."

        summary = env.run(summarize)
        if not ask_to_confirm("return_items", summary):
            return {"returned": False, "order_number": order_number}

        def give_back(session: Session, ctx: Context) -> dict[str, Any]:
            order, wanted = request(session, ctx)
            record = returns.create_return(
                session, ctx, order.id, wanted, reason="by chat", idempotency_key=request_key(tool_call_id)
            )
            return {"returned": True, "order_number": order.number} | _describe_return(record, order)

        return env.run(give_back)

    def request_return(order_number: int, items: list[ItemArgs], reason: str = "") -> dict[str, Any]:
        """Ask to send delivered items back (goods not at the counter): opens a return request the
        shop receives later, after the requester confirms. Within the return window only.

        Args:
            order_number: the order number, e.g. 1042.
            items: SKUs from the order and how many of each.
            reason: why, in the customer's words.
        """

        def wanted(session: Session, ctx: Context) -> tuple[Order, list[return_requests.RequestedItem]]:
            order = orders.get_order_by_number(session, ctx, order_number)
            by_sku = {line.sku: line for line in order.lines}
            missing = [i.sku for i in items if i.sku not in by_sku]
            if missing:
                raise NotFound(f"{', '.join(missing)} is not on order #{order.number}")
            return order, [return_requests.RequestedItem(by_sku[i.sku].id, i.quantity) for i in items]

        def summarize(session: Session, ctx: Context) -> str:
            order, _ = wanted(session, ctx)
            returns.check_window(order, tenancy.business_info(session, ctx).return_window_days, utcnow())
            back = ", ".join(f"{i.quantity} × {i.sku}" for i in items)
            return f"Ask to return {back} from order #{order.number}; the shop refunds once it receives them."

        summary = env.run(summarize)
        if not ask_to_confirm("request_return", summary):
            return {"requested": False, "order_number": order_number}

        def open_it(session: Session, ctx: Context) -> dict[str, Any]:
            order, asked = wanted(session, ctx)
            request = return_requests.open_request(session, ctx, order.id, asked, reason=reason)
            return {"requested": True, "order_number": order.number, "status": request.status.value}

        return env.run(open_it)

    return [
        make_tool(request_return, RequestReturnArgs),
        make_tool(cancel_order, CancelOrderArgs),
        make_tool(change_delivery_address, ChangeAddressArgs),
        make_tool(change_order_items, ChangeItemsArgs),
        make_tool(return_items, ReturnItemsArgs),
    ]


def _describe_return(record: Return, order: Order) -> dict[str, Any]:
    names = {line.id: line for line in order.lines}
    back = ", ".join(
        f"{rl.quantity} × {names[rl.order_line_id].product_name} ({names[rl.order_line_id].sku})" for rl in record.lines
    )
    return {
        "kind": record.kind.value,
        "items": back,
        "refund": money(record.refund_amount),
        "charge": money(record.charge_amount),
    }
