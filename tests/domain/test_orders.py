"""Orders on real PostgreSQL: all-or-nothing stock, the discount policy, transitions, edits."""

from __future__ import annotations

import json
import uuid
from dataclasses import fields
from decimal import Decimal

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH
from sqlalchemy import delete, event, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from domain import journal, orders
from domain.context import Context
from domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PolicyViolation,
    ValidationFailed,
)
from domain.models import (
    Account,
    ApprovalStatus,
    Channel,
    Order,
    OrderNumber,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Role,
)
from domain.orders import LineRequest, OrderChanges, OrderDraft

D = Decimal


def draft(*lines: tuple[object, int], **kwargs: object) -> OrderDraft:
    return OrderDraft(lines=[LineRequest(v.id, q) for v, q in lines], **kwargs)  # type: ignore[attr-defined]


def assert_books_balance(db: Session, ctx: Context) -> None:
    debits, credits = journal.totals(db, ctx)
    assert debits == credits


def test_an_order_snapshots_price_and_average_cost(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-WHT-350", "12.50", stock=8, cost="10")
    order = orders.create_order(db, tenant_a, draft((mug, 3)))
    line = order.lines[0]
    assert (line.unit_price, line.unit_cost, line.cogs_amount) == (D("12.50"), D(10), D("30.00"))
    assert (order.subtotal, order.total, order.status) == (D("37.50"), D("37.50"), OrderStatus.PENDING)
    assert order.commission_amount == D("1.88")  # 5% of 37.50
    assert order.number == 1001
    assert_books_balance(db, tenant_a)


def test_an_order_its_lines_and_its_sale_entry_are_written_with_the_next_number(
    db: Session, tenant_a: Context, make_variant
) -> None:
    """One statement takes the number and writes the order, lines and entry: the memo names the
    number, numbers follow one another, and the returned order is the session's own, as written."""
    mug = make_variant(tenant_a, "MUG-NUM", "10.00", stock=5, cost="4")
    first = orders.create_order(db, tenant_a, draft((mug, 1)))
    second = orders.create_order(db, tenant_a, draft((mug, 2)))
    assert second.number == first.number + 1
    assert db.get(Order, second.id) is second
    db.expire_all()  # read back what the statement wrote
    again = orders.get_order(db, tenant_a, second.id)
    assert (again.total, again.cogs_total, [line.quantity for line in again.lines]) == (D("20.00"), D("8.00"), [2])
    entries, _ = journal.list_entries(db, tenant_a, kind="sale")
    memos = {entry.reference_id: (entry.memo, entry.occurred_at) for entry in entries}
    assert memos[second.id] == (f"order #{second.number}", second.created_at)
    assert_books_balance(db, tenant_a)


def test_an_order_counts_on_its_shops_own_counter_row_and_leaves_the_shops_row_alone(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    """Every foreign key of a shop's rows checks its `clients` row: the counter updated there gave
    that row a new version per order, which each check then had to walk past under load."""
    mug = make_variant(tenant_a, "MUG-CNT", "10.00", stock=5, cost="4")
    updates = text(
        "SELECT relname, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname IN ('clients', 'order_numbers')"
    )
    before = dict(db.execute(updates).all())
    first = orders.create_order(db, tenant_a, draft((mug, 1)))
    after = dict(db.execute(updates).all())
    assert (after["clients"] - before["clients"], after["order_numbers"] - before["order_numbers"]) == (0, 1)
    assert (
        db.scalars(select(OrderNumber.next_number).where(OrderNumber.client_id == "shop_a")).one() == first.number + 1
    )
    bread = make_variant(tenant_b, "BREAD", "2.00", stock=5, cost="1")
    assert orders.create_order(db, tenant_b, draft((bread, 1))).number == 1001  # each shop counts its own


def test_the_order_number_is_taken_by_the_last_statement_and_the_order_is_in_the_session_as_written(
    db: Session, tenant_a: Context, make_variant
) -> None:
    """The number's row lock is held from that statement to the commit: nothing else may run in
    between (no flush of the new order, no UPDATE of its number), and the order stays usable."""
    mug = make_variant(tenant_a, "MUG-LAST", "10.00", stock=5, cost="4")
    sent: list[str] = []
    event.listen(db.connection(), "before_cursor_execute", lambda *args: sent.append(args[2]))
    order = orders.create_order(db, tenant_a, draft((mug, 2)))
    db.flush()
    assert sent[-1].startswith("WITH order_number")
    assert order in db
    assert (list(db.new), list(db.dirty)) == ([], [])
    assert db.get(Order, order.id) is order
    orders.confirm_order(db, tenant_a, order.id)  # the ORM updates it like any loaded order
    db.flush()
    db.expire_all()
    stored = orders.get_order(db, tenant_a, order.id)
    assert (stored.number, stored.status, [line.quantity for line in stored.lines]) == (
        order.number,
        OrderStatus.CONFIRMED,
        [2],
    )


def test_the_numbered_statement_is_short_enough_for_psycopg_to_cache_its_conversion(
    db: Session, tenant_a: Context, make_variant
) -> None:
    """psycopg converts a statement's `%(name)s` placeholders once and caches it only up to a
    length; above it, every order's statement is parsed again in the API's process."""
    mug = make_variant(tenant_a, "MUG-LEN", "10.00", stock=5, cost="4")
    cap = make_variant(tenant_a, "CAP-LEN", "8.00", stock=5, cost="3")
    sent: list[str] = []
    event.listen(db.connection(), "before_cursor_execute", lambda *args: sent.append(args[2]))
    orders.create_order(db, tenant_a, draft((mug, 1), (cap, 2)))
    assert sent[-1].startswith("WITH order_number")
    assert len(sent[-1].encode()) <= MAX_CACHED_STATEMENT_LENGTH


def test_the_application_cannot_delete_a_shops_order_counter(db: Session, tenant_a: Context) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"), db.begin_nested():
        db.execute(delete(OrderNumber).where(OrderNumber.client_id == "shop_a"))


def test_an_order_request_keeps_every_field_through_its_approval_payload() -> None:
    draft = OrderDraft(
        lines=[LineRequest(uuid.uuid4(), 2), LineRequest(uuid.uuid4(), 1)],
        payment_method=PaymentMethod.TRANSFER,
        payment_status=PaymentStatus.PAID,
        discount_pct=D("12.50"),
        customer_id=uuid.uuid4(),
        store_credit_amount=D("3.00"),
        delivery_address="1 Main St",
        delivery_address_id=uuid.uuid4(),
        note="ring twice",
        idempotency_key="k-1",
    )
    payload = orders.draft_payload(draft)
    assert set(payload) == {f.name for f in fields(OrderDraft)} - {"idempotency_key", "created_at"}
    assert json.loads(json.dumps(payload)) == payload  # plain JSON, as an approval stores it
    assert orders.draft_from_payload(payload, "k-1") == draft


def test_an_order_takes_stock_for_all_lines_or_none(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-RED", stock=5)
    cap = make_variant(tenant_a, "CAP-RED", stock=1)
    with pytest.raises(OutOfStock, match="CAP-RED"):
        orders.create_order(db, tenant_a, draft((mug, 2), (cap, 2)))
    db.refresh(mug)
    db.refresh(cap)
    assert (mug.on_hand, cap.on_hand) == (5, 1)
    assert orders.list_orders(db, tenant_a)[1] == 0


def test_a_one_line_order_needs_no_savepoint_and_a_refused_one_writes_nothing(
    db: Session, tenant_a: Context, make_variant
) -> None:
    """One guarded take writes all or nothing; only more lines (or store credit) need a savepoint."""
    mug = make_variant(tenant_a, "MUG-ONE", stock=1)
    cap = make_variant(tenant_a, "CAP-ONE", stock=5)
    savepoints: list[str] = []
    event.listen(db.connection(), "savepoint", lambda _conn, name: savepoints.append(name))
    with pytest.raises(OutOfStock, match="MUG-ONE"):
        orders.create_order(db, tenant_a, draft((mug, 2)))
    orders.create_order(db, tenant_a, draft((mug, 1)))
    orders.create_order(db, tenant_a, draft((cap, 1), (cap, 2)))  # one variant twice: one line
    assert savepoints == []
    with pytest.raises(OutOfStock, match="MUG-ONE"):
        orders.create_order(db, tenant_a, draft((cap, 1), (mug, 1)))
    assert len(savepoints) == 1
    db.refresh(mug)
    db.refresh(cap)
    assert (mug.on_hand, cap.on_hand, orders.list_orders(db, tenant_a)[1]) == (0, 2, 2)


def test_a_discount_above_the_cap_is_refused_not_clamped(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-GRN", stock=5)
    with pytest.raises(PolicyViolation, match="cap of 20"):
        orders.create_order(db, tenant_a, draft((mug, 1), discount_pct=D(25)))
    db.refresh(mug)
    assert mug.on_hand == 5


def test_the_owner_grants_a_discount_above_the_threshold_on_their_own_order(
    db: Session, tenant_a: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-YLW", "10.00", stock=5)
    order = orders.create_order(db, tenant_a, draft((mug, 2), discount_pct=D(15)))
    assert (order.total, order.discount_approval) == (D("17.00"), ApprovalStatus.APPROVED)
    assert orders.confirm_order(db, tenant_a, order.id).status is OrderStatus.CONFIRMED
    assert_books_balance(db, tenant_a)


def test_illegal_transitions_are_refused(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-ORG", stock=5)
    order = orders.create_order(db, tenant_a, draft((mug, 1)))
    with pytest.raises(InvalidTransition, match="pending"):
        orders.deliver_order(db, tenant_a, order.id)
    orders.cancel_order(db, tenant_a, order.id)
    with pytest.raises(InvalidTransition):
        orders.confirm_order(db, tenant_a, order.id)


def test_cancelling_restocks_and_reverses_the_books(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-PNK", "15.00", stock=4, cost="6")
    order = orders.create_order(db, tenant_a, draft((mug, 3), payment_status=PaymentStatus.PAID))
    orders.cancel_order(db, tenant_a, order.id, "customer changed mind")
    db.refresh(mug)
    balances = journal.balances(db, tenant_a)
    assert mug.on_hand == 4
    assert balances[Account.INVENTORY] == D("24.00")
    assert balances[Account.REVENUE] == D(0)
    assert balances[Account.COGS] == D(0)
    assert order.payment_status is PaymentStatus.REFUNDED


def test_cancelling_a_confirmed_order_needs_a_second_factor(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-TEA", stock=4)
    order = orders.create_order(db, tenant_a, draft((mug, 1)))
    orders.confirm_order(db, tenant_a, order.id)
    with pytest.raises(Forbidden, match="second factor"):
        orders.cancel_order(db, tenant_a, order.id)
    orders.cancel_order(db, tenant_a.with_second_factor(), order.id)
    assert order.status is OrderStatus.CANCELLED


def test_editing_a_pending_order_rebalances_stock_and_totals(db: Session, tenant_a: Context, make_variant) -> None:
    small = make_variant(tenant_a, "TSHIRT-BLU-S", "20.00", stock=5)
    large = make_variant(tenant_a, "TSHIRT-BLU-L", "22.00", stock=5)
    order = orders.create_order(db, tenant_a, draft((small, 2), discount_pct=D(10)))
    orders.update_order(
        db,
        tenant_a,
        order.id,
        OrderChanges(lines=[LineRequest(large.id, 3)], delivery_address="12 Palm Street"),
    )
    db.refresh(small)
    db.refresh(large)
    assert (small.on_hand, large.on_hand) == (5, 2)
    assert [(line.sku, line.quantity) for line in order.lines] == [("TSHIRT-BLU-L", 3)]
    assert (order.subtotal, order.discount_amount, order.total) == (D("66.00"), D("6.60"), D("59.40"))
    assert order.delivery_address == "12 Palm Street"
    balances = journal.balances(db, tenant_a)
    assert balances[Account.REVENUE] == D("-66.00")
    assert balances[Account.INVENTORY] == D("70.00")
    assert_books_balance(db, tenant_a)


def test_an_edit_that_needs_missing_stock_changes_nothing(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-GRY", stock=3)
    order = orders.create_order(db, tenant_a, draft((mug, 1)))
    with pytest.raises(OutOfStock):
        orders.update_order(db, tenant_a, order.id, OrderChanges(lines=[LineRequest(mug.id, 9)]))
    db.refresh(mug)
    assert (mug.on_hand, order.lines[0].quantity) == (2, 1)


def test_a_repeated_idempotency_key_returns_the_first_order(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-IDM", stock=5)
    first = orders.create_order(db, tenant_a, draft((mug, 1), idempotency_key="k-1"))
    again = orders.create_order(db, tenant_a, draft((mug, 1), idempotency_key="k-1"))
    assert again.id == first.id
    db.refresh(mug)
    assert mug.on_hand == 4
    with pytest.raises(IdempotencyKeyReused):
        orders.create_order(db, tenant_a, draft((mug, 2), idempotency_key="k-1"))


def test_a_customer_orders_only_for_themself_and_sees_only_their_orders(
    db: Session, tenant_a: Context, make_variant
) -> None:
    from domain import tenancy

    mug = make_variant(tenant_a, "MUG-CUS", stock=5)
    alice = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348000000001", name="Alice")
    bob = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348000000002", name="Bob")
    as_alice = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)
    with pytest.raises(Forbidden):
        orders.create_order(db, as_alice, draft((mug, 1), customer_id=bob.id))
    mine = orders.create_order(db, as_alice, draft((mug, 1)))
    assert mine.customer_id == alice.id
    bobs = orders.create_order(db, tenant_a, draft((mug, 1), customer_id=bob.id))
    with pytest.raises(NotFound):
        orders.get_order(db, as_alice, bobs.id)
    assert [o.id for o in orders.list_orders(db, as_alice)[0]] == [mine.id]


def test_another_tenants_orders_and_variants_are_invisible(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    mug = make_variant(tenant_a, "MUG-TNT", stock=5)
    order = orders.create_order(db, tenant_a, draft((mug, 1)))
    with pytest.raises(NotFound):
        orders.get_order(db, tenant_b, order.id)
    with pytest.raises(NotFound):
        orders.create_order(db, tenant_b, draft((mug, 1)))
    with pytest.raises(NotFound):
        orders.cancel_order(db, tenant_b, order.id)


@pytest.mark.parametrize("quantity", [0, -1, 10**7])
def test_nonsense_quantities_are_refused(db: Session, tenant_a: Context, make_variant, quantity: int) -> None:
    mug = make_variant(tenant_a, "MUG-BAD", stock=5)
    with pytest.raises(ValidationFailed):
        orders.create_order(db, tenant_a, draft((mug, quantity)))


def test_paying_later_moves_receivables_to_cash(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-PAY", "10.00", stock=5)
    order = orders.create_order(db, tenant_a, draft((mug, 2)))
    orders.mark_paid(db, tenant_a, order.id)
    balances = journal.balances(db, tenant_a)
    assert balances[Account.RECEIVABLES] == D(0)
    assert order.payment_status is PaymentStatus.PAID


def test_a_quote_beyond_the_stock_is_refused_in_plain_words(db: Session, tenant_a: Context, make_variant) -> None:
    mug = make_variant(tenant_a, "MUG-FEW", stock=2)
    gone = make_variant(tenant_a, "MUG-GONE", stock=0)
    with pytest.raises(OutOfStock, match=r"^only 2 × MUG-FEW in stock; cannot order 5$"):
        orders.check_available(orders.quote_order(db, tenant_a, [LineRequest(mug.id, 5)], D("0")))
    with pytest.raises(OutOfStock, match=r"^MUG-GONE is out of stock; cannot order 1$"):
        orders.check_available(orders.quote_order(db, tenant_a, [LineRequest(gone.id, 1)], D("0")))
