"""The double-entry journal: automatic postings, manual entries, balances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from domain.context import Context, scoped
from domain.errors import ValidationFailed
from domain.models import Account, JournalEntry, JournalLine, Role
from domain.models.base import new_row, utcnow
from domain.money import ZERO, cents


@dataclass(frozen=True)
class Posting:
    """One side of an entry: an amount debited or credited to an account."""

    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: Account, amount: Decimal) -> Posting:
    """A debit of `amount` (a negative amount becomes a credit)."""
    return Posting(account, debit=amount) if amount >= 0 else Posting(account, credit=-amount)


def credit(account: Account, amount: Decimal) -> Posting:
    """A credit of `amount` (a negative amount becomes a debit)."""
    return Posting(account, credit=amount) if amount >= 0 else Posting(account, debit=-amount)


@dataclass(frozen=True)
class Entry:
    """A balanced entry not yet written: its row and its lines' rows, by column (ids given)."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]


def entry(
    ctx: Context,
    kind: str,
    postings: list[Posting],
    *,
    memo: str = "",
    reference: tuple[str, uuid.UUID] | None = None,
    occurred_at: datetime | None = None,
) -> Entry | None:
    """A balanced entry with its lines (zero lines dropped), as the rows to insert; refuse an
    unbalanced one. None if all zero."""
    lines = [p for p in postings if p.debit or p.credit]
    if not lines:
        return None
    debits = sum((p.debit for p in lines), ZERO)
    credits = sum((p.credit for p in lines), ZERO)
    if debits != credits:
        raise ValidationFailed(f"a journal entry must balance: debits {debits} ≠ credits {credits}")
    when = occurred_at or utcnow()
    row = new_row(
        JournalEntry,
        {
            "client_id": ctx.client_id,
            "occurred_at": when,
            "kind": kind,
            "memo": memo,
            "reference_type": reference[0] if reference else None,
            "reference_id": reference[1] if reference else None,
            "created_by_user_id": ctx.user_id,
        },
    )
    return Entry(
        row,
        [
            new_row(
                JournalLine,
                {
                    "client_id": ctx.client_id,
                    "entry_id": row["id"],
                    "account": p.account,
                    "debit": p.debit,
                    "credit": p.credit,
                    "occurred_at": when,
                },
            )
            for p in lines
        ],
    )


def post(
    session: Session,
    ctx: Context,
    kind: str,
    postings: list[Posting],
    *,
    memo: str = "",
    reference: tuple[str, uuid.UUID] | None = None,
    occurred_at: datetime | None = None,
) -> JournalEntry | None:
    """Insert a balanced entry (`entry`); None if all zero."""
    made = entry(ctx, kind, postings, memo=memo, reference=reference, occurred_at=occurred_at)
    if made is None:
        return None
    written = JournalEntry(**made.row, lines=[JournalLine(**line) for line in made.lines])
    scoped(session, ctx).add(written)
    session.flush()
    return written


def post_manual_entry(
    session: Session, ctx: Context, memo: str, postings: list[Posting], occurred_at: datetime | None = None
) -> JournalEntry:
    """An owner's hand-made entry: at least two lines, amounts in cents, positive, balanced."""
    ctx.require(Role.OWNER, action="posting a manual journal entry")
    if len(postings) < 2:
        raise ValidationFailed("a journal entry needs at least two lines")
    for p in postings:
        if p.account is Account.STORE_CREDIT:
            raise ValidationFailed("store credit moves only through a customer's store credit, so balances match")
        if p.debit < 0 or p.credit < 0 or (p.debit and p.credit) or not (p.debit or p.credit):
            raise ValidationFailed(f"line on {p.account.value}: give either a positive debit or a positive credit")
        if cents(p.debit) != p.debit or cents(p.credit) != p.credit:
            raise ValidationFailed(f"line on {p.account.value}: amounts are in whole cents")
    entry = post(session, ctx, "manual", postings, memo=memo, occurred_at=occurred_at)
    assert entry is not None
    return entry


def balances(session: Session, ctx: Context) -> dict[Account, Decimal]:
    """Debit-minus-credit balance of every account with activity (aggregated in SQL)."""
    rows = scoped(session, ctx).execute(
        select(JournalLine.account, func.sum(JournalLine.debit - JournalLine.credit))
        .where(JournalLine.client_id == ctx.client_id)
        .group_by(JournalLine.account)
    )
    return {Account(account): amount for account, amount in rows}


def trial_balance(session: Session, ctx: Context) -> list[tuple[Account, Decimal, Decimal]]:
    """Every account with activity as (account, debit balance, credit balance), in chart order
    (owners only): assets and expenses show a debit, liabilities (store credit, commission
    payable) and revenue a credit; the two columns add up to the same total."""
    ctx.require(Role.OWNER, action="reading the trial balance")
    found = balances(session, ctx)
    return [(account, max(found[account], ZERO), max(-found[account], ZERO)) for account in Account if account in found]


def totals(session: Session, ctx: Context) -> tuple[Decimal, Decimal]:
    """(total debits, total credits) across the client's journal; equal by construction."""
    debits, credits = (
        scoped(session, ctx)
        .execute(
            select(func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0)).where(
                JournalLine.client_id == ctx.client_id
            )
        )
        .one()
    )
    return Decimal(debits), Decimal(credits)


def _entries_where(ctx: Context, kind: str | None) -> list[ColumnElement[bool]]:
    conditions = [JournalEntry.client_id == ctx.client_id]
    if kind:
        conditions.append(JournalEntry.kind == kind)
    return conditions


def list_entries(
    session: Session, ctx: Context, *, limit: int = 50, offset: int = 0, kind: str | None = None
) -> tuple[list[JournalEntry], int]:
    """Recent entries with their lines (no N+1), and how many there are."""
    ctx.require(Role.OWNER, action="reading the journal")
    where = _entries_where(ctx, kind)
    total = scoped(session, ctx).scalar(select(func.count(JournalEntry.id)).where(*where)) or 0
    query = select(JournalEntry).where(*where)
    query = query.order_by(JournalEntry.occurred_at.desc(), JournalEntry.id).limit(limit).offset(offset)
    return list(session.scalars(query.options(selectinload(JournalEntry.lines)))), total
