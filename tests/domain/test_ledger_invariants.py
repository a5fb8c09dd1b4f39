"""Random sequences of business events never break the ledgers (Hypothesis stateful test).

After every step: on-hand = Σ movements ≥ 0 = Σ open FIFO layers; the stored average cost equals
the one recomputed from the movements; debits = credits; inventory account = Σ valuation.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain import approvals, auth, costing, inventory, journal, orders, returns
from domain.context import Context
from domain.errors import DomainError
from domain.models import (
    Account,
    Approval,
    ApprovalStatus,
    Channel,
    ItemCondition,
    MovementKind,
    Order,
    OrderStatus,
    Product,
    ReceiptLayer,
    Role,
    StockMovement,
    Variant,
)
from domain.orders import LineRequest, OrderChanges, OrderDraft
from domain.returns import ReturnItem
from tests.conftest import make_tenant

COSTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=4)
SKUS = ("SOAP-LAV-100G", "SOAP-OAT-100G", "CANDLE-VAN-L")


class LedgerMachine(RuleBasedStateMachine):
    """Drives the real services inside one rolled-back transaction."""

    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.db = Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        self.ctx = make_tenant(
            self.db, "shop_fuzz", max_discount_pct=Decimal(30), auto_approve_discount_pct=Decimal(15)
        )
        self.owner = self.ctx.with_second_factor()
        clerk = auth.add_user(self.db, self.ctx.client_id, "clerk", "clerk-password", Role.STAFF)
        self.staff = Context(self.ctx.client_id, Role.STAFF, Channel.REST, clerk.id)
        self.approval_ids: list = []
        self.variants: list[Variant] = []
        for sku in SKUS:
            product = Product(client_id=self.ctx.client_id, name=sku.title())
            product.variants = [Variant(client_id=self.ctx.client_id, sku=sku, price=Decimal("9.99"))]
            self.db.add(product)
            self.variants.append(product.variants[0])
        self.db.flush()
        self.order_ids: list = []

    def teardown(self) -> None:
        self.db.close()
        self.outer.rollback()
        self.connection.close()

    def attempt(self, action) -> object:
        """Run one service call in a savepoint, as a request handler would; refusals are fine."""
        try:
            with self.db.begin_nested():
                return action()
        except DomainError:
            return None

    @rule(index=st.integers(0, 2), quantity=st.integers(1, 20), cost=COSTS)
    def receive(self, index: int, quantity: int, cost: Decimal) -> None:
        self.attempt(lambda: inventory.receive_stock(self.db, self.ctx, self.variants[index].id, quantity, cost))

    @rule(
        lines=st.dictionaries(st.integers(0, 2), st.integers(1, 6), min_size=1, max_size=3),
        discount=st.sampled_from([Decimal(0), Decimal("5"), Decimal("12.5"), Decimal("20"), Decimal("35")]),
    )
    def order(self, lines: dict[int, int], discount: Decimal) -> None:
        draft = OrderDraft(lines=[LineRequest(self.variants[i].id, q) for i, q in lines.items()], discount_pct=discount)
        outcome = self.attempt(lambda: approvals.submit(self.db, self.staff, approvals.order_request(draft)))
        if isinstance(outcome, Approval):
            self.approval_ids.append(outcome.id)
        elif outcome is not None:
            self.order_ids.append(outcome.id)

    @precondition(lambda self: self.approval_ids)
    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data: st.DataObject, approve: bool) -> None:
        approval_id = data.draw(st.sampled_from(self.approval_ids))
        decided = self.attempt(lambda: approvals.decide(self.db, self.owner, approval_id, approve=approve))
        if decided is not None and decided.status is ApprovalStatus.APPROVED:
            self.order_ids.append(uuid.UUID(decided.result["order_id"]))

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self.order_ids))
        step = data.draw(st.sampled_from(["confirm", "deliver", "cancel", "pay"]))
        call = {
            "confirm": lambda: orders.confirm_order(self.db, self.owner, order_id),
            "deliver": lambda: orders.deliver_order(self.db, self.owner, order_id),
            "cancel": lambda: orders.cancel_order(self.db, self.owner, order_id),
            "pay": lambda: orders.mark_paid(self.db, self.owner, order_id),
        }[step]
        self.attempt(call)

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), lines=st.dictionaries(st.integers(0, 2), st.integers(1, 6), min_size=1, max_size=3))
    def modify(self, data: st.DataObject, lines: dict[int, int]) -> None:
        order_id = data.draw(st.sampled_from(self.order_ids))
        changes = OrderChanges(lines=[LineRequest(self.variants[i].id, q) for i, q in lines.items()])
        self.attempt(lambda: orders.update_order(self.db, self.owner, order_id, changes))

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), quantity=st.integers(1, 3), damaged=st.booleans())
    def give_back(self, data: st.DataObject, quantity: int, damaged: bool) -> None:
        order = self.db.get(Order, data.draw(st.sampled_from(self.order_ids)))
        if order is None or order.status not in (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_RETURNED):
            return
        line = data.draw(st.sampled_from(orders.get_order(self.db, self.ctx, order.id).lines))
        condition = ItemCondition.DAMAGED if damaged else ItemCondition.RESELLABLE
        self.attempt(
            lambda: returns.create_return(self.db, self.ctx, order.id, [ReturnItem(line.id, quantity, condition)])
        )

    @rule(index=st.integers(0, 2), delta=st.integers(-4, 4).filter(bool))
    def adjust(self, index: int, delta: int) -> None:
        self.attempt(lambda: inventory.adjust_stock(self.db, self.ctx, self.variants[index].id, delta, "cycle count"))

    @invariant()
    def stock_equals_the_ledger_and_the_layers(self) -> None:
        for variant in self.variants:
            self.db.refresh(variant)
            moved = self.db.scalar(
                select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(StockMovement.variant_id == variant.id)
            )
            layered = self.db.scalar(
                select(func.coalesce(func.sum(ReceiptLayer.quantity_remaining), 0)).where(
                    ReceiptLayer.variant_id == variant.id
                )
            )
            assert variant.on_hand == moved == layered >= 0

    @invariant()
    def stored_average_cost_equals_the_recomputed_one(self) -> None:
        for variant in self.variants:
            on_hand, avg = 0, Decimal(0)
            for quantity, unit_cost in self.db.execute(
                select(StockMovement.quantity, StockMovement.unit_cost)
                .where(StockMovement.variant_id == variant.id)
                .order_by(StockMovement.id)
            ):
                if quantity > 0:
                    avg = costing.average_after_receipt(on_hand, avg, quantity, unit_cost)
                on_hand += quantity
            assert variant.avg_cost == avg

    @invariant()
    def the_books_balance_and_inventory_equals_valuation(self) -> None:
        debits, credits = journal.totals(self.db, self.ctx)
        assert debits == credits
        valuation = sum((costing.valuation(v.on_hand, v.avg_cost) for v in self.variants), Decimal(0))
        assert journal.balances(self.db, self.ctx).get(Account.INVENTORY, Decimal(0)) == valuation
        _ = MovementKind


@pytest.mark.slow
def test_random_business_events_never_break_the_ledgers(app_engine: Engine) -> None:
    machine = type("BoundLedgerMachine", (LedgerMachine,), {"engine": app_engine})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(__import__("os").environ.get("LEDGER_EXAMPLES", "40")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
