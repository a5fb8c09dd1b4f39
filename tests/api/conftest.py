"""Fixtures for the channel layer: settings for the test database, an app client, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.security import Principal, issue_token
from domain import auth as auth_service
from domain.models import Role
from infra.db import make_session_factory, transaction
from infra.redis_client import make_redis
from infra.settings import Settings
from tests.conftest import TEST_SECRET, make_tenant

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = frozenset(Settings.model_fields)

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def settings(owner_url: str, server_urls: tuple[str, str], tmp_path: Path) -> Settings:
    """Settings pointing at the test database (owner URL; the app derives its role) and Redis."""
    return Settings(
        _env_file=None, DATABASE_URL=owner_url, REDIS_URL=server_urls[1], SECRET_KEY=TEST_SECRET, DATA_DIR=tmp_path
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client over the app, with its lifespan (engine, Redis) running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def cli_env(**settings: str) -> dict[str, str]:
    """This process's environment without any Easy Ecom setting, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    return env | {"PYTHONPATH": str(ROOT)} | settings


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run `easy-ecom ARGS` in a subprocess from an empty folder (no .env), with only the given settings."""

    def run(*args: str, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess[str]:
        env = cli_env(DATA_DIR=str(tmp_path / "data")) | settings
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@dataclass(frozen=True)
class Shop:
    """A committed tenant with an owner and a staff member, and their bearer headers."""

    client_id: str
    owner: dict[str, str]
    staff: dict[str, str]
    owner_id: uuid.UUID
    staff_id: uuid.UUID


def bearer(settings: Settings, principal: Principal) -> dict[str, str]:
    """Authorization headers with a fresh token for `principal`."""
    token = issue_token(settings.secret_key(), principal, timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


def committed_shop(app_engine: Engine, settings: Settings) -> Shop:
    """Create and commit a fresh tenant (unique id) with an owner and a staff user."""
    client_id = f"shop_{uuid.uuid4().hex[:10]}"
    with transaction(make_session_factory(app_engine)) as session:
        owner_ctx = make_tenant(session, client_id)
        staff = auth_service.add_user(session, client_id, "clerk", "clerk-password", Role.STAFF)
    owner = bearer(settings, Principal(owner_ctx.user_id, "owner", Role.OWNER, client_id))
    staff_headers = bearer(settings, Principal(staff.id, "clerk", Role.STAFF, client_id))
    return Shop(client_id, owner, staff_headers, owner_ctx.user_id, staff.id)


@pytest.fixture
def shop(app_engine: Engine, settings: Settings) -> Shop:
    """Shop A for REST tests (committed: the app opens its own transactions)."""
    return committed_shop(app_engine, settings)


@pytest.fixture
def other_shop(app_engine: Engine, settings: Settings) -> Shop:
    """Shop B, for tenant-isolation checks."""
    return committed_shop(app_engine, settings)


@pytest.fixture
def root(app_engine: Engine, settings: Settings) -> dict[str, str]:
    """Bearer headers of the platform superadmin (committed, like a real one)."""
    with transaction(make_session_factory(app_engine)) as session:
        admin = auth_service.ensure_platform_admin(session, "root", "root-password")
    return bearer(settings, Principal(admin.id, "root", None, None))


@pytest.fixture(autouse=True)
def fresh_rate_limit_windows(request: pytest.FixtureRequest) -> None:
    """Every app test starts with empty request counters: all of them share the test client's IP."""
    if "settings" not in request.fixturenames:
        return
    counters = make_redis(request.getfixturevalue("server_urls")[1])
    try:
        keys = list(counters.scan_iter("rl:*"))
        if keys:
            counters.delete(*keys)
    finally:
        counters.close()
