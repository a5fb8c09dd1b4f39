"""Connections the service needs, opened the same way by the app's lifespan and by the CLI."""

from __future__ import annotations

import redis
from sqlalchemy import Engine

from infra.db import app_role_password, app_url, assert_unprivileged, check_reachable, make_engine
from infra.redis_client import make_redis
from infra.settings import ConfigError, Settings


def require_urls(settings: Settings) -> tuple[str, str]:
    """DATABASE_URL and REDIS_URL, which a bare app needs (the CLI fills them in for embedded servers)."""
    if not settings.DATABASE_URL or not settings.REDIS_URL:
        raise ConfigError(
            "DATABASE_URL and REDIS_URL must be set to serve the app directly; "
            "`easy-ecom api` or `easy-ecom up` start embedded servers when they are unset"
        )
    return settings.DATABASE_URL, settings.REDIS_URL


def connect_app_database(settings: Settings) -> Engine:
    """An engine for the application role, checked reachable and bound by row-level security.

    The role's password is derived from SECRET_KEY; `easy-ecom migrate` creates the role.
    """
    database_url, _ = require_urls(settings)
    role = settings.DATABASE_APP_ROLE
    engine = make_engine(app_url(database_url, role, app_role_password(settings.secret_key(), role)))
    try:
        check_reachable(engine, f"as the application role {role}; run `easy-ecom migrate` first if it is new")
        assert_unprivileged(engine)
    except ConfigError:
        engine.dispose()
        raise
    return engine


def connect_redis(settings: Settings) -> redis.Redis:
    """A Redis client for REDIS_URL; connects lazily, so the app starts while Redis is down."""
    return make_redis(require_urls(settings)[1])


def check_redis(client: redis.Redis) -> None:
    """Raise ConfigError with one readable line when Redis does not answer PING."""
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis: {exc}; check REDIS_URL") from None
