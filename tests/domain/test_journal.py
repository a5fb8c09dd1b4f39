"""Manual journal entries and the journal's listing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain import journal
from domain.context import Context
from domain.errors import Forbidden
from domain.journal import Posting
from domain.models import Account, Channel, Role

D = Decimal
FLOAT = [Posting(Account.CASH, debit=D("50.00")), Posting(Account.EQUITY, credit=D("50.00"))]


def test_entries_are_counted_by_kind_like_they_are_listed(
    db: Session, tenant_a: Context, tenant_b: Context, make_variant
) -> None:
    make_variant(tenant_a, "CANDLE-SOY", "9.00", stock=4, cost="3")  # posts a stock receipt
    journal.post_manual_entry(db, tenant_a, "opening float", FLOAT)
    journal.post_manual_entry(db, tenant_a, "top-up", FLOAT)
    entries, total = journal.list_entries(db, tenant_a)
    assert total == len(entries) == 3
    assert journal.list_entries(db, tenant_a, kind="manual")[1] == 2
    assert journal.list_entries(db, tenant_b) == ([], 0)


def test_staff_cannot_count_the_journal(db: Session, tenant_a: Context) -> None:
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.REST)
    with pytest.raises(Forbidden):
        journal.list_entries(db, staff)
