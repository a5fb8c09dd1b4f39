"""Hypothesis drives a hostile model through the whole graph: random delegations and random,
mostly malformed tool calls, with any confirmation answered "yes". After every example the graph
has answered and the database still obeys every policy."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Order, Role, Variant
from graph.turns import run_turn
from infra.db import set_tenant
from tests.graph.scripted import ScriptedChatModel, tool_calls

TOOLS = [
    "search_products",
    "get_product_details",
    "get_business_info",
    "get_order_status",
    "place_order",
    "quote_discount",
    "check_stock",
    "list_low_stock",
    "get_profit_and_loss",
    "get_dashboard",
    "get_top_products",
    "drop_all_tables",
    "ask_admin",
    "",
]
DELEGATES = ["ask_sales", "ask_discount", "ask_stock", "ask_analytics", "ask_everything"]
SKUS = st.sampled_from(["A-TEE", "B-SECRET", "NOPE", "", "A-TEE' OR 1=1 --"])
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**7), 10**7),
    st.text(max_size=12),
    SKUS,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.lists(st.fixed_dictionaries({"sku": SKUS, "quantity": st.integers(-5, 10**7)}), max_size=3),
)
ARGS = st.dictionaries(
    st.sampled_from(
        [
            "sku",
            "quantity",
            "items",
            "discount_pct",
            "order_number",
            "query",
            "period",
            "limit",
            "client_id",
            "customer_id",
            "delivery_address",
            "payment_method",
            "tool_call_id",
        ]
    ),
    VALUES,
    max_size=5,
)
PLAUSIBLE_ORDERS = st.tuples(
    st.just("place_order"),
    st.fixed_dictionaries(
        {
            "items": st.lists(
                st.fixed_dictionaries({"sku": st.sampled_from(["A-TEE", "B-SECRET"]), "quantity": st.integers(-2, 60)}),
                min_size=1,
                max_size=2,
            ),
            "discount_pct": st.sampled_from(["0", "5", "15", "20", "25", "95", "-3"]),
        },
        optional={"client_id": st.just("shop_b"), "customer_id": st.just(str(uuid.uuid4()))},
    ),
)
CALLS = st.lists(st.one_of(st.tuples(st.sampled_from(TOOLS), ARGS), PLAUSIBLE_ORDERS), min_size=1, max_size=3)


def test_a_hostile_model_never_breaks_a_policy(db: Session, tenant_a, tenant_b, make_variant, build) -> None:
    theirs = make_variant(tenant_b, "B-SECRET", stock=5)
    make_variant(tenant_a, "A-TEE", "20.00", stock=50)
    alice = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348044444444", name="Alice")
    principals = [
        Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id),
        Context(tenant_a.client_id, Role.STAFF, Channel.CHAT),
        tenant_a,
    ]
    set_tenant(db, None, platform_admin=True)  # the checks read every tenant's rows
    b_orders = db.scalar(select(func.count(Order.id)).where(Order.client_id == tenant_b.client_id))
    assert b_orders == 0

    @settings(
        max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "1000")),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(who=st.sampled_from(principals), delegate=st.sampled_from(DELEGATES), calls=CALLS)
    def one_conversation(who: Context, delegate: str, calls: list[tuple[str, dict]]) -> None:
        script = [tool_calls((delegate, {"request": "do it"}))]
        script += [tool_calls((name, args)) for name, args in calls]
        script.append(AIMessage(content="done"))
        graph = build(who, model=ScriptedChatModel(script=script))
        thread = uuid.uuid4().hex
        turn = run_turn(graph, thread, "please")
        if turn.pending is not None:
            turn = run_turn(graph, thread, "yes")
        assert isinstance(turn.reply, str)
        assert turn.reply
        set_tenant(db, None, platform_admin=True)
        assert db.scalar(select(func.count(Order.id)).where(Order.client_id == tenant_b.client_id)) == b_orders
        db.refresh(theirs)
        assert theirs.on_hand == 5
        placed = db.scalars(select(Order).where(Order.client_id == tenant_a.client_id)).all()
        assert all(order.discount_pct <= Decimal(20) for order in placed)
        assert all(order.customer_id in (None, alice.id) for order in placed)
        assert all(order.customer_id == alice.id for order in placed if order.channel is Channel.WHATSAPP)
        assert db.scalar(select(func.min(Variant.on_hand))) >= 0
        placed_counts.append(len(placed))

    placed_counts: list[int] = []
    one_conversation()
    assert max(placed_counts) > 0  # the write path was exercised, not only refusals
