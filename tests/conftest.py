"""Shared fixtures: one real PostgreSQL (pgvector) and Redis per test session, a rolled-back
transaction per test, and two tenants so every test can check isolation."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from domain import auth, inventory, tenancy
from domain.context import Context, scoped
from domain.models import Channel, Product, Role, Variant
from graph.memory import setup_checkpoint_tables
from infra.db import app_role_password, app_url, make_engine, normalize_url
from infra.embedded import start_postgres, start_redis, stop_redis
from infra.migrate import upgrade
from infra.redis_client import make_redis

APP_ROLE = "easy_ecom_app"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-use"


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """(owner database URL of the server, Redis URL): from the environment or embedded in a temp dir."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    with tempfile.TemporaryDirectory(prefix="easy-ecom-test-") as tmp:
        postgres_server = redis_process = None
        if not database_url:
            database_url, postgres_server = start_postgres(Path(tmp) / "pg")
        if not redis_url:
            redis_url, redis_process = start_redis(Path(tmp) / "redis")
        try:
            yield database_url, redis_url
        finally:
            if redis_process is not None:
                stop_redis(redis_process)
            if postgres_server is not None:
                postgres_server.cleanup()


@pytest.fixture(scope="session")
def owner_url(server_urls: tuple[str, str]) -> Iterator[str]:
    """A fresh, migrated database for this test session (dropped at the end), as its owner."""
    server_url = normalize_url(server_urls[0])
    name = f"easy_ecom_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine, APP_ROLE, app_role_password(TEST_SECRET, APP_ROLE))
    setup_checkpoint_tables(url)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app_engine(owner_url: str) -> Iterator[Engine]:
    """The engine the application uses: the unprivileged role that row-level security binds."""
    engine = make_engine(app_url(owner_url, APP_ROLE, app_role_password(TEST_SECRET, APP_ROLE)))
    yield engine
    engine.dispose()


@pytest.fixture
def db(app_engine: Engine) -> Iterator[Session]:
    """A session inside one outer transaction that is rolled back after the test.

    Service code may commit or use savepoints: commits become savepoint releases.
    """
    connection = app_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def redis_client(server_urls: tuple[str, str]) -> Iterator[redis.Redis]:
    """A Redis client on a database flushed before each test."""
    client = make_redis(server_urls[1])
    client.flushdb()
    yield client
    client.close()


def make_tenant(session: Session, client_id: str, **policy: object) -> Context:
    """Create a client with a shop-like policy and its owner; return the owner's context."""
    defaults: dict[str, object] = {
        "max_discount_pct": Decimal("20"),
        "auto_approve_discount_pct": Decimal("10"),
        "sales_commission_pct": Decimal("5"),
        "return_window_days": 14,
        "currency": "USD",
    }
    client = tenancy.create_client(session, client_id, client_id.replace("_", " ").title(), **(defaults | policy))
    owner = auth.add_user(session, client.id, "owner", "owner-password", Role.OWNER)
    return Context(client_id=client.id, role=Role.OWNER, channel=Channel.REST, user_id=owner.id, actor_name="owner")


@pytest.fixture
def tenant_a(db: Session) -> Context:
    """The owner of shop A."""
    return make_tenant(db, "shop_a")


@pytest.fixture
def tenant_b(db: Session) -> Context:
    """The owner of shop B (for isolation checks)."""
    return make_tenant(db, "shop_b")


MakeVariant = Callable[..., Variant]


@pytest.fixture
def make_variant(db: Session) -> MakeVariant:
    """Create a one-variant product, optionally with stock.

    make_variant(ctx, "MUG-WHT", "12.50", stock=8, cost="5")
    """

    def build(
        ctx: Context,
        sku: str,
        price: str = "20.00",
        *,
        stock: int = 0,
        cost: str = "10.00",
        name: str | None = None,
        category: str = "general",
        received_at: datetime | None = None,
    ) -> Variant:
        product = Product(client_id=ctx.client_id, name=name or sku.replace("-", " ").title(), category=category)
        variant = Variant(client_id=ctx.client_id, sku=sku, price=Decimal(price))
        product.variants = [variant]
        scoped(db, ctx).add(product)
        db.flush()
        if stock:
            inventory.receive_stock(db, ctx, variant.id, stock, Decimal(cost), received_at=received_at)
        return variant

    return build
