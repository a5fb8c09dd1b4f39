"""Eval fixtures: a PostgreSQL server of the eval tests' own (throwaway, so without fsync: the runner
copies a template database per run) and the session's Redis."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from evals.runner import skip_durability
from infra.embedded import start_postgres
from infra.settings import Settings
from tests.conftest import TEST_SECRET


@pytest.fixture(scope="session")
def eval_settings(server_urls: tuple[str, str]) -> Iterator[Settings]:
    """Settings for the runner: its own embedded PostgreSQL, the session's Redis, the tests' secret,
    the offline model unless a test says otherwise."""
    with tempfile.TemporaryDirectory(prefix="easy-ecom-eval-test-") as data:
        database_url, server = start_postgres(Path(data) / "pg")
        skip_durability(database_url)
        try:
            yield Settings(
                DATABASE_URL=database_url,
                REDIS_URL=server_urls[1],
                SECRET_KEY=SecretStr(TEST_SECRET),
                DATA_DIR=Path(data),
                OPENAI_API_KEY=None,
            )
        finally:
            server.cleanup()
