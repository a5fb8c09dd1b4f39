"""Tool fixtures: tools run their own transactions, here as savepoints of the test's transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Context
from tools.runtime import ToolEnv

MakeEnv = Callable[[Context], ToolEnv]


@pytest.fixture
def make_env(db: Session) -> MakeEnv:
    """A ToolEnv for a principal, whose sessions join the test's rolled-back transaction."""
    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    return lambda ctx: ToolEnv(ctx, sessions)
