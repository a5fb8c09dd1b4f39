"""A read of every tenant's business state in a run's database (as the database owner, so row-level
security hides nothing), and the transcript of the run: what the checks look at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from domain.models import (
    Approval,
    Client,
    Customer,
    JournalLine,
    Order,
    OrderLine,
    Return,
    ReturnLine,
    StockMovement,
    Variant,
)


@dataclass(frozen=True)
class OrderRow:
    id: uuid.UUID
    client_id: str
    number: int
    status: str
    customer_id: uuid.UUID | None
    discount_pct: Decimal
    discount_approval: str
    address: str
    lines: tuple[tuple[str, int], ...]

    def line_map(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for sku, quantity in self.lines:
            merged[sku] = merged.get(sku, 0) + quantity
        return merged


@dataclass(frozen=True)
class ReturnRow:
    id: uuid.UUID
    client_id: str
    order_number: int
    kind: str
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ApprovalRow:
    id: uuid.UUID
    client_id: str
    kind: str
    status: str


@dataclass(frozen=True)
class Policy:
    max_discount_pct: Decimal
    auto_approve_discount_pct: Decimal


@dataclass(frozen=True)
class World:
    """Business state of every tenant at one moment."""

    orders: dict[uuid.UUID, OrderRow]
    returns: dict[uuid.UUID, ReturnRow]
    approvals: dict[uuid.UUID, ApprovalRow]
    on_hand: dict[tuple[str, str], int]
    negative_balances: int
    journal: dict[str, tuple[Decimal, Decimal]]
    movements: int
    policies: dict[str, Policy]
    customers: dict[uuid.UUID, str]


def read_world(engine: Engine) -> World:
    """The state now, every tenant."""
    with Session(engine) as session:
        orders = {
            o.id: OrderRow(
                o.id,
                o.client_id,
                o.number,
                o.status.value,
                o.customer_id,
                o.discount_pct,
                o.discount_approval.value,
                o.delivery_address or "",
                tuple(sorted((line.sku, line.quantity) for line in o.lines)),
            )
            for o in session.scalars(select(Order).options(selectinload(Order.lines)))
        }
        numbers = {o.id: o.number for o in orders.values()}
        returns = {
            r.id: ReturnRow(r.id, r.client_id, numbers[r.order_id], r.kind.value, ())
            for r in session.scalars(select(Return))
        }
        return_lines = session.execute(
            select(Return.id, Variant.sku, func.sum(ReturnLine.quantity))
            .join(ReturnLine, ReturnLine.return_id == Return.id)
            .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
            .join(Variant, Variant.id == OrderLine.variant_id)
            .group_by(Return.id, Variant.sku)
        ).all()
        for return_id, sku, quantity in return_lines:
            row = returns[return_id]
            returns[return_id] = ReturnRow(
                row.id, row.client_id, row.order_number, row.kind, (*row.lines, (sku, int(quantity)))
            )
        approvals = {
            a.id: ApprovalRow(a.id, a.client_id, a.kind.value, a.status.value)
            for a in session.scalars(select(Approval))
        }
        on_hand = {(v.client_id, v.sku): v.on_hand for v in session.scalars(select(Variant))}
        negative = session.scalar(select(func.count()).where(StockMovement.balance_after < 0)) or 0
        journal = {
            client: (Decimal(debit or 0), Decimal(credit or 0))
            for client, debit, credit in session.execute(
                select(JournalLine.client_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit)).group_by(
                    JournalLine.client_id
                )
            )
        }
        movements = session.scalar(select(func.count()).select_from(StockMovement)) or 0
        policies = {
            c.id: Policy(c.max_discount_pct, c.auto_approve_discount_pct) for c in session.scalars(select(Client))
        }
        customers = {c.id: c.client_id for c in session.scalars(select(Customer))}
    return World(orders, returns, approvals, on_hand, negative, journal, movements, policies, customers)


def write_marks(engine: Engine) -> tuple[Any, ...]:
    """What any business write moves (compared before and after each step): orders (count and last
    update), returns and stock movements. Approval requests and decisions are not business writes: a
    request needs no confirmation, and deciding is the owner's act."""
    with Session(engine) as session:
        return tuple(
            session.execute(
                select(
                    select(func.count()).select_from(Order).scalar_subquery(),
                    select(func.max(Order.updated_at)).scalar_subquery(),
                    select(func.count()).select_from(Return).scalar_subquery(),
                    select(func.count()).select_from(StockMovement).scalar_subquery(),
                )
            ).one()
        )


@dataclass
class StepRecord:
    """One step of the user side: a message (and the agent's answer) or an owner decision."""

    kind: str  # "say" | "approve" | "reject"
    text: str
    reply: str
    pending: dict[str, Any] | None
    tools: list[str]
    llm_calls: int
    input_tokens: int
    output_tokens: int
    seconds: float
    wrote: bool = False


@dataclass
class Transcript:
    """The whole run as the checks see it."""

    steps: list[StepRecord] = field(default_factory=list)
    tool_results: list[str] = field(default_factory=list)

    @property
    def replies(self) -> list[str]:
        return [s.reply for s in self.steps if s.reply]

    @property
    def tools(self) -> list[str]:
        return [t for s in self.steps for t in s.tools]
