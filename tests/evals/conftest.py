"""Eval fixtures: settings pointing the eval runner at the test session's PostgreSQL and Redis (the
runner makes its own template and per-run databases there)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from infra.settings import Settings
from tests.conftest import TEST_SECRET


@pytest.fixture(scope="session")
def eval_settings(server_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the runner: the session's servers, the tests' secret (so the application role
    keeps its password), the offline model unless a test says otherwise."""
    database_url, redis_url = server_urls
    return Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SecretStr(TEST_SECRET),
        DATA_DIR=tmp_path_factory.mktemp("eval-data"),
        OPENAI_API_KEY=None,
    )
