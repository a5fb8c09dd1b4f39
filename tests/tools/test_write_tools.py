"""The stock and order-change tools alone, run the way the graph runs them (a tool call inside a
graph node, paused for the requester's yes): the same tool call retried writes once, because
its id is the domain write's idempotency key; refusals come back as messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, TypedDict

import pytest
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import orders, tenancy
from domain.context import Context
from domain.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Channel,
    JournalEntry,
    Order,
    OrderStatus,
    PaymentStatus,
    Return,
    Role,
    StockMovement,
    Variant,
)
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from tools.analytics import build_analytics_tools
from tools.order_changes import build_order_change_tools
from tools.stock import build_stock_tools


class Slot(TypedDict):
    result: Any


def call(tool: BaseTool, args: dict[str, Any], *, thread: str, call_id: str = "call-1", answer: bool = True) -> Any:
    """Run one tool call in a one-node graph; answer its confirmation (if it asks) with yes or no."""

    def node(_: Slot) -> Slot:
        return {"result": tool.invoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": args})}

    graph = StateGraph(Slot).add_node("tool", node).add_edge(START, "tool").add_edge("tool", END)
    compiled = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": thread}}
    state = compiled.invoke({"result": None}, config)
    if "__interrupt__" in state:
        state = compiled.invoke(Command(resume={"confirmed": answer}), config)
    return state["result"].content


def named(tools: list[BaseTool], name: str) -> BaseTool:
    return next(t for t in tools if t.name == name)


def count(db: Session, model: type, *where: object) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def fresh(db: Session, model: type, id_: object) -> Any:
    db.expire_all()
    return db.get(model, id_)


@pytest.fixture
def shirt(tenant_a: Context, make_variant) -> Variant:
    return make_variant(tenant_a, "LINEN-M", "30.00", stock=10, name="Linen Shirt")


@pytest.fixture
def staff(tenant_a: Context) -> Context:
    return Context(tenant_a.client_id, Role.STAFF, Channel.CONSOLE)


def test_a_retried_receipt_is_received_once(db, staff, shirt, make_env) -> None:
    receive = named(build_stock_tools(make_env(staff)), "record_receipt")
    for thread in ("first", "retry"):
        reply = call(receive, {"sku": "LINEN-M", "quantity": 5, "unit_cost": "12.50"}, thread=thread)
    assert '"on_hand": 15' in reply
    assert count(db, StockMovement, StockMovement.variant_id == shirt.id) == 2  # the opening receipt and this one


def test_a_declined_receipt_writes_nothing(db, staff, shirt, make_env) -> None:
    receive = named(build_stock_tools(make_env(staff)), "record_receipt")
    reply = call(receive, {"sku": "LINEN-M", "quantity": 5, "unit_cost": "12.50"}, thread="t", answer=False)
    assert '"received": false' in reply
    assert fresh(db, Variant, shirt.id).on_hand == 10


def test_a_retried_adjustment_is_made_once(db, staff, shirt, make_env) -> None:
    adjust = named(build_stock_tools(make_env(staff)), "adjust_stock")
    for thread in ("first", "retry"):
        call(adjust, {"sku": "LINEN-M", "delta": -2, "reason": "torn"}, thread=thread)
    assert fresh(db, Variant, shirt.id).on_hand == 8


def test_check_stock_and_refusals_come_back_as_messages(staff, shirt, make_env) -> None:
    tools = build_stock_tools(make_env(staff))
    assert '"on_hand": 10' in call(named(tools, "check_stock"), {"sku": "LINEN-M"}, thread="s")
    refused = call(named(tools, "get_stock_aging"), {}, thread="a")
    assert refused.startswith("refused (forbidden)")


def test_the_owner_reads_analytics_and_staff_are_refused(db, tenant_a, staff, shirt, make_env) -> None:
    orders.create_order(db, tenant_a, OrderDraft([LineRequest(shirt.id, 2)]))
    [owner_pnl] = [t for t in build_analytics_tools(make_env(tenant_a)) if t.name == "get_profit_and_loss"]
    assert '"net_sales": "60.00"' in call(owner_pnl, {"period": "today"}, thread="o")
    [staff_pnl] = [t for t in build_analytics_tools(make_env(staff)) if t.name == "get_profit_and_loss"]
    assert call(staff_pnl, {"period": "this_month"}, thread="s").startswith("refused (forbidden)")


@pytest.fixture
def alice(db: Session, tenant_a: Context) -> Context:
    customer = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348011111111", name="Alice")
    return Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=customer.id)


@pytest.fixture
def order(db: Session, tenant_a: Context, alice: Context, shirt: Variant) -> Order:
    return orders.create_order(db, tenant_a, OrderDraft([LineRequest(shirt.id, 1)], customer_id=alice.customer_id))


def test_a_retried_cancel_re_address_and_item_change_each_write_once(db, order, alice, shirt, make_env) -> None:
    tools = build_order_change_tools(make_env(alice))
    for thread in ("first", "retry"):
        call(
            named(tools, "change_delivery_address"),
            {"order_number": order.number, "address": "7 Marina Road"},
            thread=thread,
            call_id="addr",
        )
    assert fresh(db, Order, order.id).delivery_address == "7 Marina Road"
    entries = count(db, JournalEntry)
    items = {"order_number": order.number, "items": [{"sku": "LINEN-M", "quantity": 3}]}
    for thread in ("first-items", "retry-items"):
        call(named(tools, "change_order_items"), items, thread=thread, call_id="items")
    assert (count(db, JournalEntry), fresh(db, Order, order.id).total) == (entries + 1, Decimal("90.00"))
    for thread in ("first-cancel", "retry-cancel"):
        call(named(tools, "cancel_order"), {"order_number": order.number}, thread=thread, call_id="cancel")
    assert fresh(db, Order, order.id).status is OrderStatus.CANCELLED
    assert (count(db, JournalEntry), fresh(db, Variant, shirt.id).on_hand) == (entries + 2, 10)


def test_a_retried_return_is_taken_once(db, tenant_a, alice, shirt, make_env) -> None:
    draft = OrderDraft([LineRequest(shirt.id, 2)], customer_id=alice.customer_id, payment_status=PaymentStatus.PAID)
    delivered = orders.create_order(db, tenant_a, draft)
    orders.confirm_order(db, tenant_a, delivered.id)
    orders.deliver_order(db, tenant_a, delivered.id, at=utcnow() - timedelta(days=1))
    give_back = named(build_order_change_tools(make_env(alice)), "return_items")
    args = {"order_number": delivered.number, "items": [{"sku": "LINEN-M", "quantity": 1}]}
    for thread in ("first", "retry"):
        reply = call(give_back, args, thread=thread)
    assert "refund" in reply
    assert count(db, Return, Return.order_id == delivered.id) == 1
    assert fresh(db, Variant, shirt.id).on_hand == 9


def test_a_staff_receipt_far_from_the_average_cost_waits_for_the_owner(db, staff, shirt, make_env) -> None:
    receive = named(build_stock_tools(make_env(staff)), "record_receipt")
    args = {"sku": "LINEN-M", "quantity": 50, "unit_cost": "1.00"}  # the average is 10.00

    def node(_: Slot) -> Slot:
        return {"result": receive.invoke({"type": "tool_call", "id": "call-1", "name": receive.name, "args": args})}

    graph = StateGraph(Slot).add_node("tool", node).add_edge(START, "tool").add_edge("tool", END)
    compiled = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "cheap"}}
    compiled.invoke({"result": None}, config)
    state = compiled.invoke(Command(resume={"confirmed": True}), config)  # yes to the summary
    [paused] = state["__interrupt__"]
    assert paused.value["kind"] == "approval"
    db.expire_all()
    approval = db.scalars(select(Approval).where(Approval.client_id == staff.client_id)).one()
    assert (approval.kind, approval.status, approval.payload["unit_cost"]) == (
        ApprovalKind.STOCK_RECEIPT,
        ApprovalStatus.PENDING,
        "1.00",
    )
    assert fresh(db, Variant, shirt.id).on_hand == 10
