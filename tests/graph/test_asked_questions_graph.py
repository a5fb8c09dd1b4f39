"""What owners, staff and customers actually ask, through the whole graph on the offline model:
reports for any period, breakdowns, margins, order lists, customers, stock of every variant, stock
found or lost, orders of several products with the variant asked for, changes before the yes,
orders for a named customer, return requests, and an honest answer about what this role can do.

Each table row is a phrasing (the eval harness can take them over as scenarios)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from domain import catalog, inventory, orders
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.models import Channel, Order, PaymentMethod, ReturnRequest, Role, Variant
from domain.orders import LineRequest, OrderDraft
from graph.turns import run_turn

NOW = datetime.now(UTC)
YESTERDAY = NOW - timedelta(days=1)
LAST_MONTH = NOW.replace(day=1) - timedelta(days=5)
# The tote bag sold last month; on the 1st, yesterday's mugs were last month too.
LAST_MONTH_NET_SALES = "49.00" if YESTERDAY.month == LAST_MONTH.month else "25.00"


@pytest.fixture
def shop(db: Session, tenant_a: Context, alice: Context) -> dict[str, Variant]:
    """Linen shirts in M/L and white/blue, a tote and a mug; an order yesterday (the owner's, cash,
    2 mugs), one last month (1 tote, card) and one of Alice's today (1 shirt)."""
    shirt = catalog.create_product(
        db,
        tenant_a,
        ProductSpec(
            "Linen Shirt",
            category="shirts",
            variants=[
                VariantSpec("LINEN-M-WHT", Decimal("38.00"), {"size": "M", "colour": "White"}),
                VariantSpec("LINEN-L-WHT", Decimal("38.00"), {"size": "L", "colour": "White"}),
                VariantSpec("LINEN-M-BLU", Decimal("38.00"), {"size": "M", "colour": "Blue"}),
            ],
        ),
    )
    tote = catalog.create_product(
        db, tenant_a, ProductSpec("Canvas Tote", category="bags", variants=[VariantSpec("TOTE-NAT", Decimal("25.00"))])
    )
    mug = catalog.create_product(
        db,
        tenant_a,
        ProductSpec("Ceramic Mug", category="kitchen", variants=[VariantSpec("MUG-WHT", Decimal("12.00"))]),
    )
    stock = {"LINEN-M-WHT": 5, "LINEN-L-WHT": 5, "LINEN-M-BLU": 1, "TOTE-NAT": 10, "MUG-WHT": 8}
    costs = {"TOTE-NAT": "10", "MUG-WHT": "5"}
    variants = {v.sku: v for p in (shirt, tote, mug) for v in p.variants}
    for sku, units in stock.items():
        received = LAST_MONTH - timedelta(days=3)
        inventory.receive_stock(
            db, tenant_a, variants[sku].id, units, Decimal(costs.get(sku, "20")), received_at=received
        )
    draft = OrderDraft(lines=[LineRequest(variants["MUG-WHT"].id, 2)], created_at=YESTERDAY)
    orders.create_order(db, tenant_a, draft)
    card = OrderDraft(
        lines=[LineRequest(variants["TOTE-NAT"].id, 1)], payment_method=PaymentMethod.CARD, created_at=LAST_MONTH
    )
    orders.create_order(db, tenant_a, card)
    mine = OrderDraft(lines=[LineRequest(variants["LINEN-L-WHT"].id, 1)], customer_id=alice.customer_id)
    orders.create_order(db, tenant_a, mine)
    return variants


def staff_of(ctx: Context) -> Context:
    return Context(ctx.client_id, Role.STAFF, Channel.CHAT)


def ask(build, who: Context, *messages: str) -> tuple[str, list[str], dict | None]:
    """Send the messages on one thread; (last reply, every tool used, pending confirmation)."""
    graph, used = build(who), []
    for text in messages:
        turn = run_turn(graph, "thread-1", text)
        used += turn.record.tools
    return turn.reply, used, turn.pending


OWNER_QUESTIONS = [
    ("how much profit did we make yesterday?", "get_profit_and_loss", "net sales 24.00 USD"),
    ("what was the p&l yesterday", "get_profit_and_loss", "Yesterday ("),
    ("profit last month", "get_profit_and_loss", f"net sales {LAST_MONTH_NET_SALES} USD"),
    (
        f"profit in {LAST_MONTH:%B %Y}",
        "get_profit_and_loss",
        f"{LAST_MONTH:%B %Y}: net sales {LAST_MONTH_NET_SALES} USD",
    ),
    (
        f"revenue from {YESTERDAY:%Y-%m-%d} to {YESTERDAY:%Y-%m-%d}",
        "get_profit_and_loss",
        "net sales 24.00 USD",
    ),
    ("compare this month with last month", "compare_profit_and_loss", "Last month ("),
    ("how does this week compare to last week", "compare_profit_and_loss", "Change: net sales"),
    ("sales by category last month", "get_sales_breakdown", "- bags: 25.00 USD (1 order, 1 unit)"),
    ("sales by payment method last month", "get_sales_breakdown", "- card: 25.00 USD"),
    ("sales by product yesterday", "get_sales_breakdown", "- Ceramic Mug: 24.00 USD (1 order, 2 units)"),
    ("sales by channel yesterday", "get_sales_breakdown", "- rest: 24.00 USD"),
    ("sales by staff yesterday", "get_sales_breakdown", "- owner: 24.00 USD"),
    (
        "what is my margin on the linen shirt",
        "get_product_margin",
        "LINEN-M-WHT (M, White): price 38.00, average cost 20.00, margin 18.00 (47.37%)",
    ),
    (
        "margin of the ceramic mug",
        "get_product_margin",
        "MUG-WHT: price 12.00, average cost 5.00, margin 7.00 (58.33%)",
    ),
    ("proft yesterdy", "get_profit_and_loss", "net sales 24.00 USD"),
    ("how many orders yesterday?", "list_orders", "1 order (yesterday"),
    ("pending orders", "list_orders", "3 pending orders (all time)"),
    ("how many linen shirts do we have in stock", "check_product_stock", "Linen Shirt: 10 on hand in all."),
]


@pytest.mark.parametrize(("text", "tool", "expected"), OWNER_QUESTIONS)
def test_the_owner_gets_answers_from_the_right_tool(shop, tenant_a, build, text, tool, expected) -> None:
    reply, used, _ = ask(build, tenant_a, text)
    assert tool in used
    assert expected in reply


STAFF_QUESTIONS = [
    ("find customer Alice", "find_customers", "- Alice ("),
    ("Alice's orders", "get_customer_orders", "Alice has 1 order:"),
    ("show the orders of customer Alice", "get_customer_orders", "Linen Shirt"),
    ("show the returns of customer Alice", "get_customer_returns", "Alice has returned nothing."),
    ("linen shirt stock in every size", "check_product_stock", "- LINEN-M-BLU (M, Blue): 1 on hand"),
    ("we found 2 extra mugs", "adjust_stock", "MUG-WHT adjusted by +2: 8 on hand now."),
    ("one tote bag was stolen", "adjust_stock", "TOTE-NAT adjusted by -1: 8 on hand now."),
    ("2 mugs broke", "adjust_stock", "MUG-WHT adjusted by -2: 4 on hand now."),
]


@pytest.mark.parametrize(("text", "tool", "expected"), STAFF_QUESTIONS)
def test_staff_get_customers_and_stock_answers(shop, tenant_a, build, text, tool, expected) -> None:
    answers = ("yes",) if tool == "adjust_stock" else ()  # a count correction is confirmed first
    reply, used, _ = ask(build, staff_of(tenant_a), text, *answers)
    assert tool in used
    assert expected in reply


def test_a_lost_item_of_an_ambiguous_product_asks_which_then_adjusts(db, shop, tenant_a, build) -> None:
    reply, used, _ = ask(build, staff_of(tenant_a), "we lost a linen shirt")
    assert "adjust_stock" not in used
    assert reply.startswith("Which Linen Shirt would you like:")
    reply, used, pending = ask(build, staff_of(tenant_a), "we lost a linen shirt", "the L")
    assert pending is not None
    assert "adjust_stock" in used
    assert "by -1 units (lost)" in reply
    reply, _, _ = ask(build, staff_of(tenant_a), "we lost a linen shirt", "the L", "yes")
    assert reply == "LINEN-L-WHT adjusted by -1: 3 on hand now."


def test_a_customer_lists_only_their_own_orders(shop, alice, build) -> None:
    for text in ("my orders", "show me my orders please", "how many orders do I have?"):
        reply, used, _ = ask(build, alice, text)
        assert "list_orders" in used
        assert reply.startswith("1 order (all time)")
        assert "Linen Shirt" in reply
        assert "Ceramic Mug" not in reply


def placed(db: Session) -> list[Order]:
    db.expire_all()
    return list(db.scalars(select(Order).order_by(Order.number).options(selectinload(Order.lines))))


BASKETS = [
    (
        "I want 2 linen shirts in L and a tote bag, deliver to 5 Palm Street",
        ["2 × Linen Shirt (LINEN-L-WHT)", "1 × Canvas Tote (TOTE-NAT)", "deliver to 5 Palm Street"],
    ),
    ("I'd like three mugs and two tote bags", ["3 × Ceramic Mug (MUG-WHT)", "2 × Canvas Tote (TOTE-NAT)"]),
    ("can I buy a blue linen shirt", ["1 × Linen Shirt (LINEN-M-BLU)"]),
    ("I want a large white linen shirt and a mug", ["1 × Linen Shirt (LINEN-L-WHT)", "1 × Ceramic Mug (MUG-WHT)"]),
]


@pytest.mark.parametrize(("text", "expected"), BASKETS)
def test_several_products_are_summarised_before_the_yes(db, shop, alice, build, text, expected) -> None:
    reply, _, pending = ask(build, alice, text)
    assert pending is not None
    for line in expected:
        assert line in reply
    assert "Reply YES to place this order" in reply
    assert len(placed(db)) == 3  # nothing written before the yes


def test_an_ambiguous_size_is_asked_then_ordered_after_yes(db, shop, alice, build) -> None:
    reply, used, pending = ask(build, alice, "I want a linen shirt")
    assert pending is None
    assert "place_order" not in used
    assert "Which Linen Shirt would you like: LINEN-L-WHT (L, White, 4 in stock)" in reply
    reply, _, pending = ask(build, alice, "I want a linen shirt", "L please")
    assert pending is not None
    assert "1 × Linen Shirt (LINEN-L-WHT)" in reply
    reply, _, pending = ask(build, alice, "I want a linen shirt", "L please", "yes")
    assert pending is None
    assert "is placed" in reply
    assert [line.sku for line in placed(db)[-1].lines] == ["LINEN-L-WHT"]


def test_the_pending_order_changes_before_the_yes(db, shop, alice, build) -> None:
    steps = [
        ("I want 2 linen shirts in L", "2 × Linen Shirt (LINEN-L-WHT)"),
        ("make it 3", "3 × Linen Shirt (LINEN-L-WHT)"),
        ("add a tote bag", "1 × Canvas Tote (TOTE-NAT)"),
    ]
    graph = build(alice)
    for text, expected in steps:
        turn = run_turn(graph, "t", text)
        assert turn.pending is not None
        assert expected in turn.reply
    assert "3 × Linen Shirt (LINEN-L-WHT)" in turn.reply
    done = run_turn(graph, "t", "yes")
    assert "is placed" in done.reply
    order = placed(db)[-1]
    assert sorted((line.sku, line.quantity) for line in order.lines) == [("LINEN-L-WHT", 3), ("TOTE-NAT", 1)]


def test_a_colour_change_before_the_yes_takes_the_other_variant(db, shop, alice, build) -> None:
    graph = build(alice)
    assert "LINEN-M-WHT" in run_turn(graph, "t", "I want a white linen shirt in M").reply
    changed = run_turn(graph, "t", "blue instead")
    assert changed.pending is not None
    assert "1 × Linen Shirt (LINEN-M-BLU)" in changed.reply
    assert run_turn(graph, "t", "no, not now").reply == "Okay, I have not placed that order. Anything else?"
    assert len(placed(db)) == 3


def test_stock_is_checked_before_the_confirmation_question(db, shop, alice, build) -> None:
    reply, _, pending = ask(build, alice, "I want 4 blue linen shirts")
    assert pending is None
    assert reply == "Sorry: only 1 × LINEN-M-BLU in stock; cannot order 4"


def test_staff_order_for_a_named_customer(db, shop, tenant_a, alice, build) -> None:
    graph = build(staff_of(tenant_a))
    asked = run_turn(graph, "t", "order 2 mugs for customer Alice")
    assert asked.pending is not None
    assert asked.reply.startswith("For Alice (")
    assert "2 × Ceramic Mug (MUG-WHT)" in asked.reply
    run_turn(graph, "t", "yes")
    assert placed(db)[-1].customer_id == alice.customer_id


def test_a_customer_cannot_order_for_someone_else(db, shop, alice, bob, build) -> None:
    reply, _, pending = ask(build, alice, "order 2 mugs for customer Bob")
    assert pending is None
    assert reply.startswith("Sorry: ")
    assert "listing customers" in reply
    assert len(placed(db)) == 3


def test_a_customer_opens_a_return_request_after_yes(db, shop, tenant_a, alice, build) -> None:
    mine = placed(db)[-1]
    orders.confirm_order(db, tenant_a, mine.id)
    orders.deliver_order(db, tenant_a, mine.id)
    graph = build(alice)
    asked = run_turn(graph, "t", f"I want to send back the shirt from order {mine.number}")
    assert asked.pending is not None
    assert f"Ask to return 1 × LINEN-L-WHT from order #{mine.number}" in asked.reply
    done = run_turn(graph, "t", "yes")
    assert done.reply.startswith(f"Your return request for order #{mine.number} is open.")
    assert db.scalar(select(func.count(ReturnRequest.id))) == 1


def test_the_cancellation_prompt_asks_yes_to_cancel(db, shop, alice, build) -> None:
    mine = placed(db)[-1]
    asked = run_turn(build(alice), "t", f"cancel order {mine.number}")
    assert "Reply YES to cancel this order, or NO to keep it as it is." in asked.reply
    assert "NO to cancel" not in asked.reply


HELP_CASES = [
    ("staff", "show me the profit and margin", ["stock (", "customers ("], ["profit last month", "stock aging"]),
    ("customer", "what is running low on stock?", ["products and prices"], ["running low", "find customer"]),
    ("owner", "qwertyuiop", ["profit last month", "stock aging", "find customer"], []),
]


@pytest.mark.parametrize(("who", "text", "offered", "not_offered"), HELP_CASES)
def test_help_lists_only_what_this_role_can_do(shop, tenant_a, alice, build, who, text, offered, not_offered) -> None:
    principal = {"staff": staff_of(tenant_a), "customer": alice, "owner": tenant_a}[who]
    reply, _, _ = ask(build, principal, text)
    assert "I can help with" in reply
    for example in offered:
        assert example in reply
    for example in not_offered:
        assert example not in reply
