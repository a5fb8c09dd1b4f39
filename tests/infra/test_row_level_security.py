"""Row-level security holds on its own, below every service-layer filter."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from domain import catalog
from domain.models import TENANT_TABLES
from infra.db import set_tenant, transaction


def test_every_tenant_table_forces_row_level_security(db: Session) -> None:
    rows = db.execute(
        text("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity AND relkind = 'r'")
    ).scalars()
    assert set(TENANT_TABLES) <= set(rows)


def test_a_tenant_sees_none_of_another_tenants_rows_without_any_filter(db: Session, tenant_a, tenant_b) -> None:
    set_tenant(db, tenant_a.client_id)
    visible = set(db.execute(text("SELECT DISTINCT client_id FROM users")).scalars())
    assert visible == {"shop_a"}


def test_writing_a_row_for_another_tenant_is_refused(db: Session, tenant_a, tenant_b) -> None:
    set_tenant(db, tenant_a.client_id)
    nested = db.begin_nested()
    try:
        db.execute(text("INSERT INTO customers (id, client_id, name) VALUES (gen_random_uuid(), 'shop_b', 'intruder')"))
        raised = False
    except Exception as exc:  # asserting the database refused
        raised = "row-level security" in str(exc)
    nested.rollback()
    assert raised


def test_a_pooled_connection_without_a_tenant_sees_nothing(app_engine: Engine, db: Session, tenant_a) -> None:
    with app_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_the_application_role_cannot_rewrite_the_stock_ledger(db: Session, tenant_a) -> None:
    set_tenant(db, tenant_a.client_id)
    nested = db.begin_nested()
    try:
        db.execute(text("UPDATE stock_movements SET quantity = 1"))
        refused = False
    except Exception as exc:
        refused = "permission denied" in str(exc)
    nested.rollback()
    assert refused


def test_the_application_role_is_not_privileged(app_engine: Engine) -> None:
    from infra.db import assert_unprivileged

    assert_unprivileged(app_engine)


def test_migrating_again_keeps_the_ledgers_append_only(owner_url: str, db: Session, tenant_a) -> None:
    from infra.db import app_role_password, make_engine
    from infra.migrate import upgrade
    from tests.conftest import APP_ROLE, TEST_SECRET

    engine = make_engine(owner_url)
    upgrade(engine, APP_ROLE, app_role_password(TEST_SECRET, APP_ROLE))
    engine.dispose()
    set_tenant(db, tenant_a.client_id)
    for table in ("stock_movements", "journal_lines", "audit_events", "store_credit_movements"):
        nested = db.begin_nested()
        try:
            db.execute(text(f"DELETE FROM {table}"))
            refused = False
        except Exception as exc:
            refused = "permission denied" in str(exc)
        nested.rollback()
        assert refused, table


def test_a_unit_of_work_keeps_its_tenant(app_engine: Engine, db: Session, tenant_a, tenant_b) -> None:
    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
    with transaction(sessions, tenant_a.client_id) as session:
        assert catalog.list_products(session, tenant_a) == ([], 0)
        with pytest.raises(RuntimeError, match="belongs to tenant 'shop_a', not 'shop_b'"):
            catalog.list_products(session, tenant_b)
