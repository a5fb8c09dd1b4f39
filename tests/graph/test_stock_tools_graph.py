"""Stock tools through the graph with the offline model: receipts after an explicit yes, stock
aging and valuation for owners only, reorder suggestions from sales velocity; hostile arguments
never reach the books."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import journal, orders
from domain.context import Context, scoped
from domain.models import Account, Channel, MovementKind, Role, StockMovement, Variant
from domain.orders import LineRequest, OrderDraft
from graph.turns import run_turn
from tests.graph.conftest import delegated_to, reply, say
from tests.graph.scripted import ScriptedChatModel, tool_calls


@pytest.fixture
def staff(tenant_a: Context) -> Context:
    return Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)


def on_hand(db: Session, variant: Variant) -> int:
    db.expire_all()
    return db.get(Variant, variant.id).on_hand


def receipts(db: Session, variant: Variant) -> int:
    query = select(func.count(StockMovement.id)).where(
        StockMovement.variant_id == variant.id, StockMovement.kind == MovementKind.RECEIPT
    )
    return db.scalar(query)


def test_staff_record_a_receipt_only_after_yes(db, tenant_a, staff, make_variant, build) -> None:
    tee = make_variant(tenant_a, "CCTS00-M", stock=5, cost="6.00", name="Crew Cotton Tee")
    cash_before = journal.balances(db, tenant_a)[Account.CASH]
    graph = build(staff)
    asked = run_turn(graph, "st-1", "receive 20 CCTS00-M at 6.50")
    assert asked.pending is not None
    assert asked.pending["action"] == "record_receipt"
    assert "Receive 20 × Crew Cotton Tee (CCTS00-M) at 6.50 each, paid 130.00; 5 on hand now, 25 after." in (
        asked.reply
    )
    assert (on_hand(db, tee), receipts(db, tee)) == (5, 1)  # nothing before the yes
    done = run_turn(graph, "st-1", "yes")
    assert done.reply == "Received 20 × CCTS00-M at 6.50: 25 on hand now."
    assert (on_hand(db, tee), receipts(db, tee)) == (25, 2)
    assert journal.balances(db, tenant_a)[Account.CASH] == cash_before - Decimal("130.00")


def test_declining_a_receipt_posts_nothing(db, tenant_a, staff, make_variant, build) -> None:
    tee = make_variant(tenant_a, "CCTS00-L", stock=5)
    graph = build(staff)
    run_turn(graph, "st-2", "receive 20 CCTS00-L at 6.50")
    assert run_turn(graph, "st-2", "no").reply == "Okay, I have not recorded that receipt of CCTS00-L."
    assert (on_hand(db, tee), receipts(db, tee)) == (5, 1)


def test_customers_cannot_record_receipts(db, tenant_a, make_variant, build) -> None:
    tee = make_variant(tenant_a, "CCTS00-S", stock=5)
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP)
    answer = run_turn(build(customer), "c-1", "receive 20 CCTS00-S at 6.50")
    assert answer.pending is None
    assert "cannot help with that" in answer.reply
    assert on_hand(db, tee) == 5


def test_hostile_receipts_are_refused_before_any_confirmation(db, tenant_a, tenant_b, staff, make_variant, build):
    tee = make_variant(tenant_a, "A-TEE", stock=5)
    theirs = make_variant(tenant_b, "B-TEE", stock=5)
    model = ScriptedChatModel(
        script=[
            tool_calls(("ask_stock", {"request": "receive stock"})),
            tool_calls(("record_receipt", {"sku": "A-TEE", "quantity": -5, "unit_cost": "6.50"})),
            tool_calls(("record_receipt", {"sku": "A-TEE", "quantity": 10**9, "unit_cost": "6.50"})),
            tool_calls(("record_receipt", {"sku": "A-TEE", "quantity": 5, "unit_cost": "-1"})),
            tool_calls(("record_receipt", {"sku": "A-TEE", "quantity": 5, "unit_cost": "NaN"})),
            tool_calls(("record_receipt", {"sku": "A-TEE", "quantity": "lots", "unit_cost": "cheap"})),
            tool_calls(("record_receipt", {"sku": "B-TEE", "quantity": 5, "unit_cost": "1"})),
            AIMessage(content="Done checking."),
        ]
    )
    state = say(build(staff, model=model), "receive stock")
    results = [str(m.content) for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert len(results) == 6
    assert all("error" in r.lower() for r in results[:5])
    assert results[5].startswith("refused (not_found)") or "not found" in results[5]
    assert reply(state) == "Done checking."
    assert (on_hand(scoped(db, tenant_a), tee), receipts(db, tee)) == (5, 1)
    assert on_hand(scoped(db, tenant_b), theirs) == 5


def test_owners_read_stock_aging_and_valuation(db, tenant_a, make_variant, build) -> None:
    make_variant(tenant_a, "MUG-WHT", stock=4, cost="2.50")
    graph = build(tenant_a)
    aging = say(graph, "show me the stock aging", thread="o-1")
    assert delegated_to(aging) == ["ask_stock"]
    assert reply(aging).startswith("Stock on the shelf by age: 0-30 days: 4 units (10.00)")
    value = reply(say(graph, "what is our inventory value?", thread="o-2"))
    assert value.startswith("Inventory is worth 10.00 at cost (4 units). By category: general 10.00.")
    assert "MUG-WHT 10.00" in value


def test_staff_are_refused_aging_and_valuation(tenant_a, staff, make_variant, build) -> None:
    make_variant(tenant_a, "MUG-BLK", stock=4)
    graph = build(staff)
    aging = reply(say(graph, "stock aging", thread="s-1"))
    assert aging.startswith("Sorry: ")
    assert "owner" in aging
    value = reply(say(graph, "inventory value", thread="s-2"))
    assert value.startswith("Sorry: ")
    assert "owner" in value


def test_reorder_suggestions_follow_sales(db, tenant_a, staff, make_variant, build) -> None:
    tote = make_variant(tenant_a, "TOTE-NAT", stock=30, name="Canvas Tote")
    make_variant(tenant_a, "TOTE-IDLE", stock=30)
    orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(tote.id, 27)]))  # 0.9/day over 30 days
    answer = reply(say(build(staff), "what should I reorder?"))
    assert answer == (
        "To cover 14 days at the last 30 days' sales rate, reorder:\n"
        "- TOTE-NAT (Canvas Tote): order 10 (3 on hand, selling 0.90/day)"
    )


def test_hostile_reorder_windows_are_argument_errors(tenant_a, staff, build) -> None:
    model = ScriptedChatModel(
        script=[
            tool_calls(("ask_stock", {"request": "reorder"})),
            tool_calls(("suggest_reorders", {"days": 0})),
            tool_calls(("suggest_reorders", {"days": 30, "cover_days": 10**6})),
            AIMessage(content="ok"),
        ]
    )
    say(build(staff, model=model), "reorder")
    results = [str(m.content) for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert len(results) == 2
    assert all("error" in r.lower() for r in results)
