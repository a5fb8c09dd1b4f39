"""/accounting: the double-entry journal (owners only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Query

from api.auth import OwnerCaller
from api.routing import ApiRouter
from api.schemas.accounting import (
    JournalEntryCreate,
    JournalEntryRead,
    TrialBalanceLine,
    TrialBalanceRead,
)
from api.schemas.common import Page, PageQuery, Text
from domain import journal

router = ApiRouter(prefix="/accounting", tags=["accounting"])


@router.post("/journal-entries", status_code=201)
def post_journal_entry(body: JournalEntryCreate, caller: OwnerCaller) -> JournalEntryRead:
    """Post a manual entry; an unbalanced one, or a line with both or neither side, is 422."""
    with caller.transaction() as (session, ctx):
        entry = journal.post_manual_entry(
            session, ctx, body.memo, [line.to_domain() for line in body.lines], occurred_at=body.occurred_at
        )
        return JournalEntryRead.model_validate(entry)


@router.get("/journal-entries")
def list_journal_entries(
    caller: OwnerCaller,
    page: PageQuery,
    kind: Annotated[Text | None, Query(max_length=32, description="sale, return, manual, stock_receipt, ...")] = None,
) -> Page[JournalEntryRead]:
    """Journal entries with their lines, most recent first."""
    with caller.transaction() as (session, ctx):
        entries, total = journal.list_entries(session, ctx, kind=kind, limit=page.limit, offset=page.offset)
        return Page(
            items=[JournalEntryRead.model_validate(e) for e in entries],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


@router.get("/trial-balance")
def trial_balance(caller: OwnerCaller) -> TrialBalanceRead:
    """Each account's balance from the journal (store credit is a liability: what customers hold)."""
    with caller.transaction() as (session, ctx):
        lines = [
            TrialBalanceLine(account=account, debit=debit, credit=credit)
            for account, debit, credit in journal.trial_balance(session, ctx)
        ]
        return TrialBalanceRead(
            accounts=lines,
            total_debit=sum((line.debit for line in lines), Decimal(0)),
            total_credit=sum((line.credit for line in lines), Decimal(0)),
        )
