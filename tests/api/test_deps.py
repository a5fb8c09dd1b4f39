"""SessionDep owns the request's transaction: commit on success, roll back on error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.deps import SessionDep
from api.main import create_app
from infra.db import make_engine
from infra.settings import Settings


@pytest.fixture
def probe_table(owner_url: str) -> Iterator[None]:
    """A scratch table without RLS; the app role gets DML on it through the owner's default privileges."""
    engine = make_engine(owner_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE deps_probe (note text NOT NULL)"))
    yield
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE deps_probe"))
    engine.dispose()


def test_a_request_commits_on_success_and_rolls_back_on_error(settings: Settings, probe_table: None) -> None:
    app = create_app(settings)

    @app.post("/probe/{note}")
    def write(note: str, session: SessionDep, fail: bool = False) -> dict[str, str]:
        session.execute(text("INSERT INTO deps_probe (note) VALUES (:note)"), {"note": note})
        if fail:
            raise HTTPException(status_code=409, detail="refused")
        return {"note": note}

    @app.get("/probe")
    def read(session: SessionDep) -> list[str]:
        return list(session.execute(text("SELECT note FROM deps_probe ORDER BY note")).scalars())

    with TestClient(app) as client:
        assert client.post("/probe/kept").status_code == 200
        assert client.post("/probe/dropped", params={"fail": True}).status_code == 409
        assert client.get("/probe").json() == ["kept"]
