"""Journal entry schemas: a manual entry's lines in, entries with their lines out."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Moment, Text
from domain.journal import Posting
from domain.models import Account
from domain.money import cents

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class JournalLineIn(BaseModel):
    """A debit or a credit (not both) to one account of the shared chart."""

    model_config = ConfigDict(extra="forbid")

    account: Account
    debit: Amount = Decimal(0)
    credit: Amount = Decimal(0)

    def to_domain(self) -> Posting:
        return Posting(self.account, debit=cents(self.debit), credit=cents(self.credit))


class JournalEntryCreate(BaseModel):
    """A hand-made entry: at least two lines whose debits and credits balance."""

    model_config = ConfigDict(extra="forbid")

    memo: Text = Field(default="", max_length=1000)
    occurred_at: Moment | None = Field(default=None, description="When it happened (now when omitted)")
    lines: list[JournalLineIn] = Field(min_length=1, max_length=100)


class JournalLineRead(BaseModel):
    """One side of an entry."""

    model_config = ConfigDict(from_attributes=True)

    account: Account
    debit: Decimal
    credit: Decimal


class TrialBalanceLine(BaseModel):
    """One account's balance, on its debit or its credit side."""

    account: Account
    debit: Decimal
    credit: Decimal


class TrialBalanceRead(BaseModel):
    """Every account with activity; the debit and credit columns add up to the same total."""

    accounts: list[TrialBalanceLine]
    total_debit: Decimal
    total_credit: Decimal


class JournalEntryRead(BaseModel):
    """A balanced entry, posted by a business event (`kind` sale, return, ...) or by hand (`manual`)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    kind: str
    memo: str
    reference_type: str | None
    reference_id: uuid.UUID | None
    created_by_user_id: uuid.UUID | None
    lines: list[JournalLineRead]
