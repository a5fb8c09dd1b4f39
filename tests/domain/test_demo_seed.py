"""The demo seed builds a realistic shop once, and only outside production."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import costing, demo, journal, reports
from domain.context import Context
from domain.errors import ValidationFailed
from domain.models import Account, Channel, JournalEntry, Order, Product, Return, Role, Variant
from domain.models.base import utcnow
from infra.db import set_tenant
from infra.settings import Settings
from tests.conftest import TEST_SECRET


def test_the_seed_builds_a_shop_with_history_once(db: Session, tmp_path) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, SECRET_KEY=TEST_SECRET)
    client_id = f"demo_{uuid.uuid4().hex[:8]}"  # other tests may have committed the default demo shop
    summary = demo.seed(db, settings, client_id=client_id)
    assert summary.created
    set_tenant(db, client_id)
    assert db.scalar(select(func.count(Product.id))) >= 30
    assert db.scalar(select(func.count(func.distinct(Product.category)))) >= 5
    days = db.scalar(select(func.count(func.distinct(func.date(Order.created_at)))))
    assert days >= 60
    assert db.scalar(select(func.count(func.distinct(Order.channel)))) >= 3
    assert db.scalar(select(func.count(Return.id))) >= 1
    ctx = Context(client_id, Role.OWNER, Channel.SYSTEM)
    debits, credits = journal.totals(db, ctx)
    assert debits == credits
    variants = db.scalars(select(Variant)).all()
    valuation = sum((costing.valuation(v.on_hand, v.avg_cost) for v in variants), Decimal(0))
    assert journal.balances(db, ctx)[Account.INVENTORY] == valuation
    assert not demo.seed(db, settings, client_id=client_id).created


def test_every_demo_event_is_booked_when_it_happened_not_at_seed_time(db: Session, tmp_path) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, SECRET_KEY=TEST_SECRET)
    client_id = f"demo_{uuid.uuid4().hex[:8]}"
    demo.seed(db, settings, client_id=client_id)
    seeded_at = utcnow()
    set_tenant(db, client_id)
    placed = {order_id: created for order_id, created in db.execute(select(Order.id, Order.created_at))}
    returned = {r.id: r for r in db.scalars(select(Return))}
    entries = db.scalars(select(JournalEntry).where(JournalEntry.kind.in_(("cancellation", "payment", "return"))))
    checked = 0
    for entry in entries:
        order_id = entry.reference_id if entry.reference_type == "order" else returned[entry.reference_id].order_id
        assert placed[order_id] <= entry.occurred_at <= min(placed[order_id] + timedelta(days=3), seeded_at), entry.memo
        checked += 1
    assert checked >= 10
    for record in returned.values():
        assert record.created_at <= placed[record.order_id] + timedelta(days=3)
    for order in db.scalars(select(Order).where(Order.cancelled_at.is_not(None))):
        assert order.cancelled_at - order.created_at <= timedelta(hours=2)
    today = reports.dashboard(db, Context(client_id, Role.OWNER, Channel.SYSTEM)).today
    assert today.net_sales >= 0  # old cancellations no longer reverse their revenue today


def test_the_seed_is_refused_in_production(db: Session, tmp_path) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, SECRET_KEY=TEST_SECRET, EASY_ECOM_ENV="production")
    with pytest.raises(ValidationFailed, match="production"):
        demo.seed(db, settings)
