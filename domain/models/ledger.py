"""The double-entry journal and the audit log: both append-only."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.base import Base, TenantOwned, UUIDPrimaryKey, str_enum, tenant_table, utcnow


class Account(enum.StrEnum):
    """The chart of accounts every client shares."""

    CASH = "cash"
    RECEIVABLES = "receivables"
    INVENTORY = "inventory"
    REVENUE = "revenue"
    SALES_DISCOUNTS = "sales_discounts"
    COGS = "cogs"
    COMMISSION_EXPENSE = "commission_expense"
    COMMISSION_PAYABLE = "commission_payable"
    REFUNDS = "refunds"
    INVENTORY_WRITE_OFF = "inventory_write_off"
    EQUITY = "equity"
    STORE_CREDIT = "store_credit"


@tenant_table
class JournalEntry(UUIDPrimaryKey, TenantOwned, Base):
    """A balanced set of debits and credits, posted by a business event or by hand."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_client_id_occurred_at", "client_id", "occurred_at"),)

    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(Text, default="")
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[uuid.UUID | None]
    created_by_user_id: Mapped[uuid.UUID | None]

    lines: Mapped[list[JournalLine]] = relationship(back_populates="entry", lazy="raise", cascade="all")


@tenant_table
class JournalLine(TenantOwned, Base):
    """One side of a journal entry on one account (debit or credit, never both)."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name="one_sided"),
        Index("ix_journal_lines_client_account_time", "client_id", "account", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True)
    account: Mapped[Account] = mapped_column(str_enum(Account))
    debit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    credit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    occurred_at: Mapped[datetime]

    entry: Mapped[JournalEntry] = relationship(back_populates="lines", lazy="raise")


@tenant_table
class AuditEvent(TenantOwned, Base):
    """Who did what sensitive thing, through which channel, when; never updated."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_client_id_created_at", "client_id", "created_at"),
        Index("ix_audit_events_client_id_action", "client_id", "action"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    channel: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
