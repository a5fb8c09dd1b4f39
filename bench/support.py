"""Shared bench setup: a throwaway embedded PostgreSQL, migrated, with the application role."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph.memory import setup_checkpoint_tables
from infra.db import app_role_password, app_url, make_engine
from infra.embedded import start_postgres
from infra.migrate import upgrade

APP_ROLE = "easy_ecom_app"
SECRET = "bench-secret-key-that-is-long-enough-for-anything"


@dataclass(frozen=True)
class BenchDatabase:
    """URLs of a migrated bench database: the owner's and the application role's."""

    owner_url: str
    app_url: str


@contextmanager
def bench_database() -> Iterator[BenchDatabase]:
    """Start PostgreSQL in a temp dir, migrate (schema + checkpoints), stop and delete it after."""
    with tempfile.TemporaryDirectory(prefix="easy-ecom-bench-") as tmp:
        owner_url, server = start_postgres(Path(tmp) / "pg")
        try:
            engine = make_engine(owner_url)
            upgrade(engine, APP_ROLE, app_role_password(SECRET, APP_ROLE))
            engine.dispose()
            setup_checkpoint_tables(owner_url)
            yield BenchDatabase(owner_url, app_url(owner_url, APP_ROLE, app_role_password(SECRET, APP_ROLE)))
        finally:
            server.cleanup()


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
