"""A route owns its request's one transaction (`Caller.transaction`): committed when the block
ends, rolled back when it raises, scoped to the caller's shop, and only for an active account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from api.auth import CurrentCaller
from api.main import create_app
from api.security import Principal
from domain.models import Role, User
from infra.db import make_engine, make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import Shop, bearer, committed_shop


@pytest.fixture
def probe_table(owner_url: str) -> Iterator[None]:
    """A scratch table without RLS; the app role gets DML on it through the owner's default privileges."""
    engine = make_engine(owner_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE deps_probe (note text NOT NULL, tenant text)"))
    yield
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE deps_probe"))
    engine.dispose()


def test_a_request_commits_on_success_and_rolls_back_on_error(
    settings: Settings, probe_table: None, shop: Shop, app_engine: Engine
) -> None:
    app = create_app(settings)

    @app.post("/probe/{note}")
    def write(note: str, caller: CurrentCaller, fail: bool = False) -> dict[str, str]:
        with caller.transaction() as (session, _):
            session.execute(
                text("INSERT INTO deps_probe VALUES (:note, current_setting('app.client_id', true))"), {"note": note}
            )
            if fail:
                raise HTTPException(status_code=409, detail="refused")
        return {"note": note}

    @app.get("/probe")
    def read(caller: CurrentCaller) -> list[list[str]]:
        with caller.transaction() as (session, _):
            return [list(row) for row in session.execute(text("SELECT note, tenant FROM deps_probe ORDER BY note"))]

    with TestClient(app) as client:
        assert client.post("/probe/kept", headers=shop.owner).status_code == 200
        assert client.post("/probe/dropped", params={"fail": True}, headers=shop.owner).status_code == 409
        assert client.get("/probe", headers=shop.owner).json() == [["kept", shop.client_id]]
        with transaction(make_session_factory(app_engine), shop.client_id) as session:
            session.execute(update(User).where(User.id == shop.staff_id).values(is_active=False))
        refused = client.post("/probe/late", headers=shop.staff)
        assert (refused.status_code, refused.json()["detail"]) == (401, "this account no longer exists or is disabled")
        assert client.get("/probe", headers=shop.owner).json() == [["kept", shop.client_id]]


def test_the_account_check_names_the_tokens_shop_and_role(settings: Settings, shop: Shop, app_engine: Engine) -> None:
    """The statement that scopes the transaction checks the token's user in the token's shop with
    the token's role: another shop's user, or a role the account does not have, is refused."""
    other = committed_shop(app_engine, settings)
    app = create_app(settings)

    @app.get("/probe-me")
    def me(caller: CurrentCaller) -> str:
        with caller.transaction() as (_, ctx):
            return str(ctx.user_id)

    borrowed = bearer(settings, Principal(other.owner_id, "owner", Role.OWNER, shop.client_id))
    promoted = bearer(settings, Principal(shop.staff_id, "clerk", Role.OWNER, shop.client_id))
    with TestClient(app) as client:
        assert client.get("/probe-me", headers=shop.owner).json() == str(shop.owner_id)
        assert client.get("/probe-me", headers=borrowed).status_code == 401
        assert client.get("/probe-me", headers=promoted).status_code == 401
