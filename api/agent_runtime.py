"""What the chat routes need for the app's lifetime: the chat model and the checkpointer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from api.resources import require_urls
from graph.builder import GraphCache
from graph.memory import open_checkpointer
from graph.model import make_chat_model
from infra.db import app_role_password, app_url
from infra.settings import Settings


@contextmanager
def agent_runtime(app: FastAPI, settings: Settings) -> Iterator[None]:
    """Put `chat_model`, `checkpointer` (application role, own pool) and `graph_cache` on app.state."""
    database_url, _ = require_urls(settings)
    role = settings.DATABASE_APP_ROLE
    checkpointer, pool = open_checkpointer(app_url(database_url, role, app_role_password(settings.secret_key(), role)))
    app.state.chat_model = make_chat_model(settings)
    app.state.checkpointer = checkpointer
    app.state.graph_cache = GraphCache()
    try:
        yield
    finally:
        pool.close()
