"""Store credit: money the shop owes a customer, spent on their orders.

Each customer's balance is kept on the customer row and moved only here: by one guarded UPDATE
(`balance + amount >= 0`), so two sessions spending the same credit cannot both succeed and a
balance never goes negative. Every movement is a row in `store_credit_movements`, audited, and
its money is in the journal on the `store_credit` liability account: the owner's grants and
deductions post here (against sales discounts: a goodwill credit lowers net sales); an order's
or a return's movement posts inside that order's or return's own entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain import audit, customers, journal
from domain.context import Context, scoped
from domain.errors import ValidationFailed
from domain.journal import credit, debit
from domain.models import Account, CreditKind, Customer, Role, StoreCreditMovement
from domain.money import ZERO, cents, check_money

MAX_REASON = 500


@dataclass(frozen=True)
class Statement:
    """A customer's balance and one page of their movements, newest first."""

    customer_id: uuid.UUID
    balance: Decimal
    movements: list[StoreCreditMovement]
    total: int


def check_amount(amount: Decimal, what: str) -> Decimal:
    """`amount` as money: positive, whole cents, within what a money column holds."""
    amount = check_money(Decimal(amount), what)
    if amount <= 0 or cents(amount) != amount:
        raise ValidationFailed(f"{what} is a positive amount in whole cents, not {amount}")
    return amount


def balance_of(session: Session, ctx: Context, customer_id: uuid.UUID) -> Decimal:
    """A customer's balance as committed now (not a row loaded earlier in this session)."""
    customers.get_customer(session, ctx, customer_id, include_deleted=True)
    return session.scalar(select(Customer.store_credit_balance).where(Customer.id == customer_id)) or ZERO


def move(
    session: Session,
    ctx: Context,
    customer_id: uuid.UUID,
    amount: Decimal,
    kind: CreditKind,
    *,
    reason: str = "",
    reference: tuple[str, uuid.UUID] | None = None,
) -> StoreCreditMovement:
    """Add `amount` (negative: take it) to the customer's balance and record the movement (audited).

    The caller posts the journal side. Refused, with nothing written, when the balance would go
    negative; under concurrency the row lock makes the later spender see the earlier one's result.
    """
    balance = session.execute(
        update(Customer)
        .where(
            Customer.client_id == ctx.client_id,
            Customer.id == customer_id,
            Customer.store_credit_balance + amount >= 0,
        )
        .values(store_credit_balance=Customer.store_credit_balance + amount)
        .returning(Customer.store_credit_balance)
        .execution_options(synchronize_session="fetch")  # a customer loaded earlier sees the new balance
    ).scalar_one_or_none()
    if balance is None:
        available = balance_of(session, ctx, customer_id)
        raise ValidationFailed(
            f"the customer has {available} in store credit; {-amount} cannot be taken from it",
            store_credit_balance=str(available),
        )
    movement = StoreCreditMovement(
        client_id=ctx.client_id,
        customer_id=customer_id,
        kind=kind,
        amount=amount,
        balance_after=balance,
        reason=reason,
        reference_type=reference[0] if reference else None,
        reference_id=reference[1] if reference else None,
        created_by_user_id=ctx.user_id,
        channel=ctx.channel,
    )
    scoped(session, ctx).add(movement)
    session.flush()
    audit.record(
        session,
        ctx,
        audit.Action.STORE_CREDIT_MOVED,
        target=("customer", customer_id),
        detail={
            "kind": kind.value,
            "amount": str(amount),
            "balance": str(balance),
            "reason": reason,
            **({"reference": f"{reference[0]}:{reference[1]}"} if reference else {}),
        },
    )
    return movement


def adjust(session: Session, ctx: Context, customer_id: uuid.UUID, amount: Decimal, reason: str) -> StoreCreditMovement:
    """The owner grants (`amount` > 0) or deducts (< 0) credit with a reason; journalled and audited.

    A grant is goodwill: sales discounts up, the store-credit liability up; a deduction reverses it.
    """
    ctx.require(Role.OWNER, action="granting or deducting store credit")
    if not reason.strip():
        raise ValidationFailed("say why the credit is granted or deducted (reason)")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"a reason has at most {MAX_REASON} characters")
    size = check_amount(abs(Decimal(amount)), "a store credit adjustment")
    signed = size if amount > 0 else -size
    customers.get_customer(session, ctx, customer_id)
    kind = CreditKind.GRANT if signed > 0 else CreditKind.DEDUCTION
    movement = move(session, ctx, customer_id, signed, kind, reason=reason.strip())
    journal.post(
        session,
        ctx,
        f"store_credit_{kind.value}",
        [debit(Account.SALES_DISCOUNTS, signed), credit(Account.STORE_CREDIT, signed)],
        memo=f"store credit {kind.value}: {reason.strip()}",
        reference=("customer", customer_id),
    )
    return movement


def statement(session: Session, ctx: Context, customer_id: uuid.UUID, *, limit: int = 50, offset: int = 0) -> Statement:
    """The balance and movements of a customer (staff and owners; a customer their own)."""
    balance = balance_of(session, ctx, customer_id)
    where = (StoreCreditMovement.client_id == ctx.client_id, StoreCreditMovement.customer_id == customer_id)
    total = session.scalar(select(func.count(StoreCreditMovement.id)).where(*where)) or 0
    movements = session.scalars(
        select(StoreCreditMovement)
        .where(*where)
        .order_by(StoreCreditMovement.created_at.desc(), StoreCreditMovement.id)
        .limit(limit)
        .offset(offset)
    )
    return Statement(customer_id, balance, list(movements), total)
