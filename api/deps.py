"""`Annotated` dependency aliases, so routes read `def route(session: SessionDep)`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import redis
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from infra.db import transaction
from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    """The application-role engine opened at startup."""
    return request.app.state.engine


def get_redis(request: Request) -> redis.Redis:
    """The shared Redis client."""
    return request.app.state.redis


def get_session(request: Request) -> Iterator[Session]:
    """A session in one transaction: committed when the route returns, rolled back if it raises.

    Tenant scope is set later by the auth dependencies (`infra.db.set_tenant`).
    """
    with transaction(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
# scope="function": the commit happens before the response is sent (durable before acknowledged).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
