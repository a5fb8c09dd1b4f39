"""An OpenAI-compatible model (faked at the HTTP layer with respx) calls each new tool with typed
arguments; the tool's result, computed by the domain, reaches the reply."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from langchain_openai import ChatOpenAI
from pydantic import SecretStr
from sqlalchemy.orm import Session

from domain import orders
from domain.context import Context
from domain.models import Channel, Role
from domain.orders import LineRequest, OrderDraft
from graph.turns import run_turn
from tests.api.test_chat_api import streamed_completion

URL = "https://llm.test/v1/chat/completions"


def completion(content: str | None = None, call: tuple[str, dict] | None = None) -> httpx.Response:
    """A streamed chat completion (the turn runner streams): text, or one tool call."""
    return streamed_completion(content=content, tool=call)


def model() -> ChatOpenAI:
    return ChatOpenAI(model="gpt-test", api_key=SecretStr("sk-test"), base_url="https://llm.test/v1", max_retries=0)


@pytest.fixture
def mugs(db: Session, tenant_a: Context, alice: Context, make_variant) -> int:
    """2 mugs sold yesterday (the owner's order), 1 to Alice today; returns Alice's order number."""
    mug = make_variant(tenant_a, "MUG-WHT", "12.00", stock=10, cost="5", name="Ceramic Mug", category="kitchen")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(mug.id, 2)], created_at=yesterday))
    mine = OrderDraft(lines=[LineRequest(mug.id, 1)], customer_id=alice.customer_id)
    return orders.create_order(db, tenant_a, mine).number


CASES = [
    ("owner", "ask_analytics", "get_profit_and_loss", {"period": "yesterday"}, '"net_sales": "24.00"'),
    (
        "owner",
        "ask_analytics",
        "compare_profit_and_loss",
        {"current": {"period": "today"}, "previous": {"period": "yesterday"}},
        '"change": {"net_sales": "-12.00"',
    ),
    (
        "owner",
        "ask_analytics",
        "get_sales_breakdown",
        {"by": "category", "period": "yesterday"},
        '{"name": "kitchen", "orders": 1, "units": 2, "revenue": "24.00"}',
    ),
    ("owner", "ask_analytics", "get_product_margin", {"product": "mug"}, '"margin": "7.00", "margin_pct": "58.33"'),
    ("staff", "ask_stock", "check_product_stock", {"product": "ceramic mug"}, '"total": 7'),
    ("customer", "ask_sales", "list_orders", {"status": "pending"}, '"count": 1'),
    ("staff", "ask_customers", "find_customers", {"query": "Alice"}, '"name": "Alice"'),
    ("staff", "ask_customers", "get_customer_orders", {"customer": "Alice"}, '"items": "1 × Ceramic Mug"'),
    ("staff", "ask_customers", "get_customer_returns", {"customer": "Alice"}, '"count": 0'),
]


def principal(who: str, tenant_a: Context, alice: Context) -> Context:
    return {"owner": tenant_a, "staff": Context(tenant_a.client_id, Role.STAFF, Channel.CHAT), "customer": alice}[who]


def echo_tool_result(request: httpx.Request) -> httpx.Response:
    """The model's final answer: the last tool result it was sent, as the reply."""
    sent = json.loads(request.content)["messages"]
    return completion(content="Result: " + next(m["content"] for m in reversed(sent) if m["role"] == "tool"))


@pytest.mark.parametrize(("who", "delegate", "tool", "args", "expected"), CASES)
def test_each_new_tool_is_called_and_its_result_reaches_the_reply(
    mugs, tenant_a, alice, build, who, delegate, tool, args, expected
) -> None:
    replies = iter([completion(call=(delegate, {"request": "please"})), completion(call=(tool, args))])
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(URL).mock(side_effect=lambda request: next(replies, None) or echo_tool_result(request))
        turn = run_turn(build(principal(who, tenant_a, alice), model=model()), "t", "please")
    assert turn.record.tools == [delegate, tool]
    assert route.call_count == 3
    offered = {t["function"]["name"] for t in json.loads(route.calls[1].request.content)["tools"]}
    assert tool in offered
    assert turn.reply.startswith("Result: {")
    assert expected in turn.reply


def test_staff_order_for_a_named_customer_and_a_customers_return_request(db, mugs, tenant_a, alice, build) -> None:
    staff = principal("staff", tenant_a, alice)
    order_call = ("place_order", {"items": [{"sku": "MUG-WHT", "quantity": 2}], "customer": "Alice"})
    replies = iter([completion(call=("ask_sales", {"request": "order for Alice"})), completion(call=order_call)])
    with respx.mock() as mock:
        mock.post(URL).mock(side_effect=lambda request: next(replies, None) or echo_tool_result(request))
        graph = build(staff, model=model())
        asked = run_turn(graph, "t", "order 2 mugs for Alice")
        assert asked.pending is not None
        assert asked.reply.startswith("For Alice (")
        done = run_turn(graph, "t", "yes")
    assert '"placed": true' in done.reply
    number = json.loads(done.reply.removeprefix("Result: "))["order_number"]
    assert orders.get_order_by_number(db, tenant_a, number).customer_id == alice.customer_id

    orders.confirm_order(db, tenant_a, orders.get_order_by_number(db, tenant_a, mugs).id)
    orders.deliver_order(db, tenant_a, orders.get_order_by_number(db, tenant_a, mugs).id)
    ask_return = (
        "request_return",
        {"order_number": mugs, "items": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "chipped"},
    )
    replies = iter([completion(call=("ask_sales", {"request": "send it back"})), completion(call=ask_return)])
    with respx.mock() as mock:
        mock.post(URL).mock(side_effect=lambda request: next(replies, None) or echo_tool_result(request))
        graph = build(alice, model=model())
        asked = run_turn(graph, "r", "I want to send the mug back")
        assert f"Ask to return 1 × MUG-WHT from order #{mugs}" in asked.reply
        done = run_turn(graph, "r", "yes")
    assert done.reply == f'Result: {{"requested": true, "order_number": {mugs}, "status": "open"}}'
