"""`Annotated` dependency aliases, so routes read `def route(caller: Caller)`.

No dependency opens a database session: a route opens its one transaction itself
(`with caller.transaction() as session:`) and closes it before it returns, inside the one worker
thread that runs it. A connection or a row lock is therefore never held while the request waits
for a thread (the response is serialised after the commit) — the design that ended the stall at
~60 requests in flight (see docs/operations.md).
"""

from __future__ import annotations

from typing import Annotated

import redis
from fastapi import Depends, Request

from graph.conversations import ConversationService
from graph.runtime import Runtime
from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_runtime(request: Request) -> Runtime:
    """The shared resources opened at startup."""
    return request.app.state.runtime


def get_redis(request: Request) -> redis.Redis:
    """The shared Redis client."""
    return request.app.state.runtime.redis


def get_conversations(request: Request) -> ConversationService:
    """The conversation service every channel shares."""
    return request.app.state.runtime.conversations


SettingsDep = Annotated[Settings, Depends(get_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
