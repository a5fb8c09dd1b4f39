"""Conversation memory: LangGraph's Postgres checkpointer (on the outermost graph only).

One thread per conversation; the channel builds the thread id from what it authenticated (a
tenant, a user or customer, a conversation), so no caller can name another tenant's thread.
"""

from __future__ import annotations

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from sqlalchemy.engine import make_url


def libpq_url(sqlalchemy_url: str) -> str:
    """A SQLAlchemy URL as a plain libpq URI (unix-socket hosts kept)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def setup_checkpoint_tables(owner_url: str) -> None:
    """Create or migrate the checkpoint tables as the owner (autocommit: some steps build
    indexes CONCURRENTLY). The application role reaches them through default privileges."""
    with psycopg.connect(libpq_url(owner_url), autocommit=True, row_factory=dict_row) as connection:
        PostgresSaver(connection).setup()  # type: ignore[arg-type]


def open_checkpointer(app_url: str, options: str = "", max_size: int = 10) -> tuple[PostgresSaver, ConnectionPool]:
    """A checkpointer over a small pool of application-role connections (with the app's
    connection `options`: timeouts); close the pool on exit."""
    pool = ConnectionPool(
        libpq_url(app_url),
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row, "options": options},
        open=True,
    )
    return PostgresSaver(pool), pool  # type: ignore[arg-type]
