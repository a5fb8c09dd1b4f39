"""The whole graph with the offline model: routing, role-scoped specialists, memory, limits."""

from __future__ import annotations

from domain.context import Context
from domain.models import Channel, Role
from graph.builder import AgentLimits
from graph.offline import classify, percent_in, product_phrase, quantity_in
from tests.graph.conftest import delegated_to, reply, say


def customer_of(ctx: Context) -> Context:
    return Context(ctx.client_id, Role.CUSTOMER, Channel.WHATSAPP)


def test_intents_and_arguments_are_read_from_the_text() -> None:
    assert classify("Can I get 10% off two hoodies?").name == "discount"
    assert classify("where is order #1042").name == "order_status"
    assert classify("what is running out").name == "low_stock"
    assert classify("do you sell linen shirts").name == "product"
    assert product_phrase("do you have any blue linen shirts?") == "blue linen shirt"
    assert product_phrase("price of TEE-BLU-M please") == "TEE-BLU-M"
    assert (quantity_in("3 mugs at 15% off"), percent_in("3 mugs at 15% off")) == (3, "15")


def test_a_product_question_goes_to_sales_and_answers_from_the_catalog(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "TEE-BLU-M", "19.99", stock=7, name="Blue Cotton Tee")
    state = say(build(customer_of(tenant_a)), "do you have a blue tee?")
    assert delegated_to(state) == ["ask_sales"]
    assert "Blue Cotton Tee (TEE-BLU-M): 19.99, 7 in stock" in reply(state)


def test_a_discount_request_is_decided_by_the_policy(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "HOODIE-GRY", "40.00", stock=5, name="Grey Hoodie")
    graph = build(customer_of(tenant_a))
    assert "needs the owner's approval" in reply(say(graph, "can I get 15% off 2 grey hoodie"))
    refused = reply(say(graph, "can I get 60% off the grey hoodie", thread="t-2"))
    assert "cap of 20%" in refused


def test_staff_reach_the_stock_specialist(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "MUG-WHT", "9.50", stock=3)
    state = say(build(tenant_a), "how many MUG-WHT in stock?")
    assert delegated_to(state) == ["ask_stock"]
    assert "MUG-WHT (Mug Wht): 3 on hand" in reply(state)


def test_customers_have_no_stock_specialist(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "MUG-BLK", stock=3)
    state = say(build(customer_of(tenant_a)), "what is running low on stock?")
    assert "ask_stock" not in delegated_to(state)
    assert "cannot help with that" in reply(state)


def test_an_unknown_order_is_a_polite_refusal(tenant_a, build) -> None:
    assert reply(say(build(tenant_a), "where is order 4242?")) == "Sorry: order #4242 not found"


def test_a_thread_remembers_earlier_turns_and_stays_bounded(tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "CAP-RED", stock=3)
    graph = build(tenant_a, limits=AgentLimits(history_messages=8))
    for _ in range(6):
        state = say(graph, "do you have a red cap?")
    assert len(state["messages"]) <= 8 + 4  # the bound, plus this turn's messages
    other = say(graph, "hello", thread="another-thread")
    assert len(other["messages"]) == 2


def test_gibberish_gets_help_not_an_error(tenant_a, build) -> None:
    assert "I can help with" in reply(say(build(tenant_a), "qwertyuiop"))


def test_an_order_is_placed_only_after_the_customer_says_yes(db, tenant_a, make_variant, build) -> None:
    from sqlalchemy import func, select

    from domain import tenancy
    from domain.models import Order
    from graph.turns import run_turn

    shirt = make_variant(tenant_a, "LINEN-M", "38.00", stock=5, name="Linen Shirt")
    alice = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348033333333", name="Alice")
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)
    graph = build(customer)
    asked = run_turn(graph, "wa-1", "I want to buy 2 linen shirts, deliver to 12 Palm Street, Lekki")
    assert asked.pending is not None
    assert "2 × Linen Shirt (LINEN-M) at 38.00" in asked.reply
    assert "Total 76.00" in asked.reply
    assert "12 Palm Street, Lekki" in asked.reply
    assert db.scalar(select(func.count(Order.id))) == 0  # nothing written before the yes
    done = run_turn(graph, "wa-1", "yes please")
    assert done.pending is None
    assert done.reply.startswith("Order #1001 is placed (pending). Total 76.00")
    order = db.scalars(select(Order)).one()
    assert (order.customer_id, order.delivery_address) == (alice.id, "12 Palm Street, Lekki")
    db.refresh(shirt)
    assert shirt.on_hand == 3


def test_declining_the_summary_places_nothing(db, tenant_a, make_variant, build) -> None:
    from sqlalchemy import func, select

    from domain.models import Order
    from graph.turns import run_turn

    make_variant(tenant_a, "LINEN-L", "38.00", stock=5, name="Linen Shirt")
    graph = build(customer_of(tenant_a))
    assert run_turn(graph, "wa-2", "I'll take a linen shirt").pending is not None
    declined = run_turn(graph, "wa-2", "no, not now")
    assert declined.reply == "Okay, I have not placed that order. Anything else?"
    assert db.scalar(select(func.count(Order.id))) == 0


def test_owners_get_analytics_from_the_reports(db, tenant_a, make_variant, build) -> None:
    from domain import orders
    from domain.orders import LineRequest, OrderDraft

    mug = make_variant(tenant_a, "MUG-KPI", "25.00", stock=10, cost="10", name="Kpi Mug")
    orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(mug.id, 2)]))
    graph = build(tenant_a)
    profit = say(graph, "how much profit did we make this month?")
    assert delegated_to(profit) == ["ask_analytics"]
    assert "net sales 50.00 USD, gross profit 30.00 (60.00% margin)" in reply(profit)
    best = reply(say(graph, "what are our best sellers?", thread="t-2"))
    assert "Kpi Mug (50.00 revenue, 30.00 profit)" in best


def test_staff_cannot_reach_analytics(tenant_a, build) -> None:
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    state = say(build(staff), "show me the profit and margin")
    assert "ask_analytics" not in delegated_to(state)
    assert "cannot help with that" in reply(state)
