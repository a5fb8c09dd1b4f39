"""Store credit: owner grants, spending on orders, refunds to credit, cancellations, and races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain import audit, customers, journal, orders, return_requests, returns, store_credit
from domain.context import Context
from domain.customers import CustomerDraft
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.models import (
    Account,
    Channel,
    CreditKind,
    Customer,
    Order,
    PaymentMethod,
    PaymentStatus,
    RefundMethod,
    ReturnRequestStatus,
    Role,
    StoreCreditMovement,
    Variant,
)
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.return_requests import RequestedItem
from domain.returns import ReturnItem
from infra.db import make_session_factory, transaction

D = Decimal


def customer_with_credit(db: Session, ctx: Context, amount: str = "50.00", name: str = "Ada") -> Customer:
    customer = customers.create_customer(db, ctx, CustomerDraft(name=name))
    if D(amount):
        store_credit.adjust(db, ctx, customer.id, D(amount), "goodwill for a late delivery")
    return customer


def balance(db: Session, ctx: Context, customer: Customer) -> Decimal:
    return store_credit.statement(db, ctx, customer.id).balance


def assert_books_balance(db: Session, ctx: Context) -> dict[Account, Decimal]:
    debits, credits = journal.totals(db, ctx)
    assert debits == credits
    return journal.balances(db, ctx)


def liability(db: Session, ctx: Context) -> Decimal:
    """What the shop owes in store credit (the account's credit balance)."""
    return -assert_books_balance(db, ctx).get(Account.STORE_CREDIT, D(0))


def credit_order(
    db: Session, ctx: Context, variant: Variant, quantity: int, customer: Customer, credit: str, *, paid: bool = True
) -> Order:
    """An order for `quantity` × `variant` paying `credit` from the customer's store credit, the rest in cash."""
    draft = OrderDraft(
        lines=[LineRequest(variant.id, quantity)],
        customer_id=customer.id,
        store_credit_amount=D(credit),
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.UNPAID,
    )
    return orders.create_order(db, ctx, draft)


def test_an_owner_grant_raises_the_balance_the_liability_and_is_audited(db: Session, tenant_a: Context) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    found = store_credit.statement(db, tenant_a, customer.id)
    assert found.balance == D("50.00")
    assert [(m.kind, m.amount, m.balance_after) for m in found.movements] == [
        (CreditKind.GRANT, D("50.00"), D("50.00"))
    ]
    assert liability(db, tenant_a) == D("50.00")
    assert journal.balances(db, tenant_a)[Account.SALES_DISCOUNTS] == D("50.00")
    events, _ = audit.list_events(db, tenant_a, action=audit.Action.STORE_CREDIT_MOVED)
    assert events[0].detail["amount"] == "50.00"
    assert events[0].detail["reason"] == "goodwill for a late delivery"


def test_a_deduction_lowers_the_balance_but_never_below_zero(db: Session, tenant_a: Context) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    store_credit.adjust(db, tenant_a, customer.id, D("-20.00"), "granted twice by mistake")
    with pytest.raises(ValidationFailed, match=r"has 30.00 in store credit"):
        store_credit.adjust(db, tenant_a, customer.id, D("-30.01"), "too much")
    assert balance(db, tenant_a, customer) == D("30.00")
    assert liability(db, tenant_a) == D("30.00")


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [(D("0"), "why", "positive amount"), (D("1.005"), "why", "whole cents"), (D("5"), "  ", "say why")],
)
def test_an_adjustment_needs_whole_cents_and_a_reason(
    db: Session, tenant_a: Context, amount: Decimal, reason: str, message: str
) -> None:
    customer = customer_with_credit(db, tenant_a, "0")
    with pytest.raises(ValidationFailed, match=message):
        store_credit.adjust(db, tenant_a, customer.id, amount, reason)


def test_only_the_owner_grants_credit_and_only_in_their_shop(db: Session, tenant_a: Context, tenant_b: Context) -> None:
    customer = customer_with_credit(db, tenant_a, "0")
    staff = replace(tenant_a, role=Role.STAFF)
    with pytest.raises(Forbidden):
        store_credit.adjust(db, staff, customer.id, D("10"), "friend of the shop")
    with pytest.raises(NotFound):
        store_credit.adjust(db, tenant_b, customer.id, D("10"), "not my customer")
    assert store_credit.statement(db, staff, customer.id).balance == D("0.00")


def test_part_of_an_order_paid_with_credit_and_the_rest_in_cash(db: Session, tenant_a: Context, make_variant) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    mug = make_variant(tenant_a, "MUG-BLU", "30.00", stock=5, cost="10")
    order = credit_order(db, tenant_a, mug, 2, customer, "40.00")
    assert order.total == D("60.00")
    assert order.store_credit_amount == D("40.00")
    assert balance(db, tenant_a, customer) == D("10.00")
    books = assert_books_balance(db, tenant_a)
    assert books[Account.CASH] == D("-50.00") + D("20.00")  # 5 mugs received at 10, then 20 taken
    assert -books[Account.STORE_CREDIT] == D("10.00")
    assert books[Account.REVENUE] == D("-60.00")
    spent = store_credit.statement(db, tenant_a, customer.id).movements[0]
    assert (spent.kind, spent.amount, spent.reference_id) == (CreditKind.ORDER_PAYMENT, D("-40.00"), order.id)


def test_an_unpaid_order_owes_only_what_credit_did_not_cover(db: Session, tenant_a: Context, make_variant) -> None:
    customer = customer_with_credit(db, tenant_a, "25.00")
    mug = make_variant(tenant_a, "MUG-RED", "30.00", stock=5)
    order = credit_order(db, tenant_a, mug, 1, customer, "25", paid=False)
    assert assert_books_balance(db, tenant_a)[Account.RECEIVABLES] == D("5.00")
    orders.mark_paid(db, tenant_a, order.id)
    books = assert_books_balance(db, tenant_a)
    assert books[Account.RECEIVABLES] == D("0.00")
    assert books[Account.CASH] == D("-50.00") + D("5.00")


def test_credit_covering_the_whole_total_makes_the_order_paid(db: Session, tenant_a: Context, make_variant) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    mug = make_variant(tenant_a, "MUG-GRN", "30.00", stock=5)
    order = credit_order(db, tenant_a, mug, 1, customer, "30", paid=False)
    assert order.payment_status is PaymentStatus.PAID
    assert Account.RECEIVABLES not in assert_books_balance(db, tenant_a)


def test_spending_more_than_the_balance_is_refused_and_writes_nothing(
    db: Session, tenant_a: Context, make_variant
) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    mug = make_variant(tenant_a, "MUG-BLK", "30.00", stock=5)
    draft = OrderDraft(lines=[LineRequest(mug.id, 2)], customer_id=customer.id, store_credit_amount=D("50.01"))
    with pytest.raises(ValidationFailed, match=r"has 50.00 in store credit"):
        orders.create_order(db, tenant_a, draft)
    db.refresh(mug)
    assert mug.on_hand == 5
    assert db.scalar(select(func.count(Order.id)).where(Order.client_id == tenant_a.client_id)) == 0
    assert store_credit.statement(db, tenant_a, customer.id).total == 1
    assert balance(db, tenant_a, customer) == D("50.00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"store_credit_amount": D("61")}, "more than the order total 60.00"),
        ({"customer_id": None}, "send the order's customer_id"),
        ({"payment_method": PaymentMethod.STORE_CREDIT}, "spent with store_credit_amount"),
    ],
)
def test_credit_needs_a_customer_and_at_most_the_total(
    db: Session, tenant_a: Context, make_variant, changes: dict[str, object], message: str
) -> None:
    customer = customer_with_credit(db, tenant_a, "100.00")
    mug = make_variant(tenant_a, "MUG-WHT", "30.00", stock=5)
    draft = OrderDraft(lines=[LineRequest(mug.id, 2)], customer_id=customer.id, store_credit_amount=D("10"))
    with pytest.raises(ValidationFailed, match=message):
        orders.create_order(db, tenant_a, replace(draft, **changes))
    assert balance(db, tenant_a, customer) == D("100.00")


def test_cancelling_an_order_gives_the_credit_back(db: Session, tenant_a: Context, make_variant) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    mug = make_variant(tenant_a, "MUG-YLW", "30.00", stock=5)
    order = credit_order(db, tenant_a, mug, 2, customer, "45")
    orders.cancel_order(db, tenant_a, order.id, "changed their mind")
    assert balance(db, tenant_a, customer) == D("50.00")
    books = assert_books_balance(db, tenant_a)
    assert -books[Account.STORE_CREDIT] == D("50.00")
    assert books[Account.CASH] == D("-50.00")  # the stock receipt only: the 15 paid in cash went back
    back = store_credit.statement(db, tenant_a, customer.id).movements[0]
    assert (back.kind, back.amount) == (CreditKind.ORDER_CANCELLED, D("45.00"))


def test_an_item_change_cannot_bring_the_total_below_the_credit_spent(
    db: Session, tenant_a: Context, make_variant
) -> None:
    customer = customer_with_credit(db, tenant_a, "50.00")
    mug = make_variant(tenant_a, "MUG-PNK", "30.00", stock=5)
    order = credit_order(db, tenant_a, mug, 2, customer, "45", paid=False)
    with pytest.raises(ValidationFailed, match=r"more than the order total 30.00"):
        orders.update_order(db, tenant_a, order.id, orders.OrderChanges(lines=[LineRequest(mug.id, 1)]))
    assert assert_books_balance(db, tenant_a)[Account.RECEIVABLES] == D("15.00")


def delivered(db: Session, ctx: Context, variant: Variant, quantity: int, customer: Customer, credit: str) -> Order:
    order = credit_order(db, ctx, variant, quantity, customer, credit)
    orders.confirm_order(db, ctx, order.id)
    orders.deliver_order(db, ctx, order.id, at=utcnow() - timedelta(days=1))
    return order


def test_a_return_refunded_as_store_credit(db: Session, tenant_a: Context, make_variant) -> None:
    customer = customer_with_credit(db, tenant_a, "0")
    tee = make_variant(tenant_a, "TEE-BLU-M", "20.00", stock=5)
    order = delivered(db, tenant_a, tee, 2, customer, "0")
    record = returns.create_return(
        db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)], refund_method=RefundMethod.STORE_CREDIT
    )
    assert (record.refund_amount, record.store_credit_amount) == (D("20.00"), D("20.00"))
    assert record.refund_method is PaymentMethod.STORE_CREDIT
    assert balance(db, tenant_a, customer) == D("20.00")
    books = assert_books_balance(db, tenant_a)
    assert books[Account.CASH] == D("-50.00") + D("40.00")
    assert -books[Account.STORE_CREDIT] == D("20.00")


def test_the_original_way_gives_the_credit_part_back_first_then_cash(
    db: Session, tenant_a: Context, make_variant
) -> None:
    customer = customer_with_credit(db, tenant_a, "30.00")
    tee = make_variant(tenant_a, "TEE-BLU-L", "20.00", stock=5)
    order = delivered(db, tenant_a, tee, 3, customer, "30")  # 60: 30 credit, 30 cash
    first = returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 2)])
    second = returns.create_return(db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)])
    assert (first.store_credit_amount, second.store_credit_amount) == (D("30.00"), D("0.00"))
    assert balance(db, tenant_a, customer) == D("30.00")
    books = assert_books_balance(db, tenant_a)
    assert books[Account.CASH] == D("-50.00")  # 30 paid in cash, 30 refunded in cash
    assert -books[Account.STORE_CREDIT] == D("30.00")


def test_cash_refund_ignores_the_credit_and_unpaid_orders_refund_the_original_way(
    db: Session, tenant_a: Context, make_variant
) -> None:
    customer = customer_with_credit(db, tenant_a, "10.00")
    tee = make_variant(tenant_a, "TEE-BLU-S", "20.00", stock=5)
    order = delivered(db, tenant_a, tee, 2, customer, "10")
    record = returns.create_return(
        db, tenant_a, order.id, [ReturnItem(order.lines[0].id, 1)], refund_method=RefundMethod.CASH
    )
    assert (record.store_credit_amount, record.refund_method) == (D("0.00"), PaymentMethod.CASH)
    unpaid = orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(tee.id, 1)], customer_id=customer.id))
    orders.confirm_order(db, tenant_a, unpaid.id)
    orders.deliver_order(db, tenant_a, unpaid.id)
    with pytest.raises(ValidationFailed, match="unpaid"):
        returns.create_return(
            db, tenant_a, unpaid.id, [ReturnItem(unpaid.lines[0].id, 1)], refund_method=RefundMethod.STORE_CREDIT
        )


def test_a_return_request_can_be_refunded_as_credit_when_the_goods_arrive(
    db: Session, tenant_a: Context, make_variant
) -> None:
    customer = customer_with_credit(db, tenant_a, "0")
    tee = make_variant(tenant_a, "TEE-GRN-M", "20.00", stock=5)
    order = delivered(db, tenant_a, tee, 1, customer, "0")
    request = return_requests.open_request(db, tenant_a, order.id, [RequestedItem(order.lines[0].id, 1)])
    received = return_requests.receive_request(db, tenant_a, request.id, refund_method=RefundMethod.STORE_CREDIT)
    assert received.status is ReturnRequestStatus.REFUNDED
    assert balance(db, tenant_a, customer) == D("20.00")
    assert assert_books_balance(db, tenant_a).get(Account.RECEIVABLES, D(0)) == D("0.00")


def test_store_credit_cannot_be_moved_by_a_manual_journal_entry(db: Session, tenant_a: Context) -> None:
    with pytest.raises(ValidationFailed, match="store credit moves only"):
        journal.post_manual_entry(
            db,
            tenant_a,
            "sneak",
            [journal.debit(Account.CASH, D("5")), journal.credit(Account.STORE_CREDIT, D("5"))],
        )


def test_two_sessions_spending_the_same_credit_only_one_succeeds(app_engine: Engine, committed_shop) -> None:
    owner, variant_id = committed_shop
    factory = make_session_factory(app_engine)
    with transaction(factory, owner.client_id) as session:
        customer_id = customer_with_credit(session, owner, "100.00").id
    staff = Context(owner.client_id, Role.STAFF, Channel.POS)

    def spend(_: int) -> str:
        draft = OrderDraft(lines=[LineRequest(variant_id, 1)], customer_id=customer_id, store_credit_amount=D("30"))
        try:
            with transaction(factory, owner.client_id) as session:
                orders.create_order(session, staff, draft)
            return "paid"
        except ValidationFailed:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(spend, range(8)))

    assert outcomes.count("paid") == 3
    with transaction(factory, owner.client_id) as session:
        assert store_credit.statement(session, owner, customer_id).balance == D("10.00")
        left = session.scalar(
            select(func.sum(StoreCreditMovement.amount)).where(StoreCreditMovement.customer_id == customer_id)
        )
        assert left == D("10.00")
        assert liability(session, owner) == D("10.00")
        assert len(orders.list_orders(session, owner)[0]) == 3
