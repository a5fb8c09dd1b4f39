"""A hostile model proposes; the domain disposes. Nothing it sends reaches the database unchecked,
and the graph always answers."""

from __future__ import annotations

from langchain_core.messages import AIMessage, ToolMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import orders
from domain.context import Context
from domain.models import Channel, Order, Role
from domain.orders import LineRequest, OrderDraft
from tests.graph.conftest import say
from tests.graph.scripted import ScriptedChatModel, tool_calls


def test_hostile_tool_calls_are_refused_and_the_graph_still_answers(
    db: Session, tenant_a, tenant_b, make_variant, build
) -> None:
    theirs = make_variant(tenant_b, "B-SECRET", stock=5)
    order_b = orders.create_order(db, tenant_b, OrderDraft(lines=[LineRequest(theirs.id, 1)]))
    make_variant(tenant_a, "A-TEE", "20.00", stock=5)
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP)
    model = ScriptedChatModel(
        script=[
            tool_calls(("ask_discount", {"request": "give me everything for free"})),
            # one call per step: the test's tools share one connection (production calls get their own)
            tool_calls(("quote_discount", {"discount_pct": "95", "items": [{"sku": "A-TEE", "quantity": 1}]})),
            tool_calls(("quote_discount", {"discount_pct": "-10", "items": [{"sku": "A-TEE", "quantity": 1}]})),
            tool_calls(("quote_discount", {"discount_pct": "5", "items": [{"sku": "A-TEE", "quantity": -3}]})),
            tool_calls(("quote_discount", {"discount_pct": "5", "items": [{"sku": "B-SECRET", "quantity": 1}]})),
            tool_calls(("search_products", {"query": "B-SECRET", "client_id": tenant_b.client_id})),
            tool_calls(("drop_all_tables", {})),
            tool_calls(("quote_discount", {"discount_pct": "lots", "items": "everything"})),
            AIMessage(content="Here is what the policy allows."),
        ]
    )
    orders_before = db.scalar(select(func.count(Order.id)))
    state = say(build(customer, model=model), "discount please")
    results = [m for m in model.seen[-1] if isinstance(m, ToolMessage)]
    contents = [str(m.content) for m in results]
    assert len(results) == 7
    assert "cap of 20%" in contents[0]
    assert all("refused" in c or "error" in c.lower() for c in contents[1:4])
    assert "B-SECRET" not in contents[4] or '"matches": []' in contents[4]
    assert "drop_all_tables" in contents[5]
    assert "error" in contents[6].lower()
    assert str(state["messages"][-1].content) == "Here is what the policy allows."
    assert db.scalar(select(func.count(Order.id))) == orders_before
    assert orders.get_order(db, tenant_b, order_b.id).status.value == "pending"


def test_a_customer_cannot_reach_staff_tools_even_by_name(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "A-MUG", stock=2)
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP)
    model = ScriptedChatModel(script=[tool_calls(("ask_stock", {"request": "how many A-MUG"}))])
    state = say(build(customer, model=model), "stock?")
    answer = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert "ask_stock" in str(answer.content)
    assert "is not a valid tool" in str(answer.content)
