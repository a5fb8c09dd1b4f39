"""The demo seed builds a realistic shop once, and only outside production."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import costing, demo, journal
from domain.context import Context
from domain.errors import ValidationFailed
from domain.models import Account, Channel, Order, Product, Return, Role, Variant
from infra.db import set_tenant
from infra.settings import Settings
from tests.conftest import TEST_SECRET


def test_the_seed_builds_a_shop_with_history_once(db: Session, tmp_path) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, SECRET_KEY=TEST_SECRET)
    summary = demo.seed(db, settings)
    assert summary.created
    set_tenant(db, demo.DEMO_CLIENT_ID)
    assert db.scalar(select(func.count(Product.id))) >= 30
    assert db.scalar(select(func.count(func.distinct(Product.category)))) >= 5
    days = db.scalar(select(func.count(func.distinct(func.date(Order.created_at)))))
    assert days >= 60
    assert db.scalar(select(func.count(func.distinct(Order.channel)))) >= 3
    assert db.scalar(select(func.count(Return.id))) >= 1
    ctx = Context(demo.DEMO_CLIENT_ID, Role.OWNER, Channel.SYSTEM)
    debits, credits = journal.totals(db, ctx)
    assert debits == credits
    variants = db.scalars(select(Variant)).all()
    valuation = sum((costing.valuation(v.on_hand, v.avg_cost) for v in variants), Decimal(0))
    assert journal.balances(db, ctx)[Account.INVENTORY] == valuation
    assert not demo.seed(db, settings).created


def test_the_seed_is_refused_in_production(db: Session, tmp_path) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, SECRET_KEY=TEST_SECRET, EASY_ECOM_ENV="production")
    with pytest.raises(ValidationFailed, match="production"):
        demo.seed(db, settings)
