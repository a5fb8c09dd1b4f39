"""Login, lockout and audit, roles, registration and the TOTP second factor, through the real routes."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import jwt
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from api.main import create_app
from domain import auth as auth_service
from domain.models import AuditEvent
from infra import db as infra_db
from infra.db import make_engine, make_session_factory, transaction
from infra.settings import ConfigError, Settings
from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, ok, place_order

LOGIN = f"{V1}/auth/login"
SECRETS_IN_TEXT = re.compile(r"password_hash|totp_secret|\$argon2", re.IGNORECASE)


def credentials(shop: Shop, username: str, password: str) -> dict[str, str]:
    return {"client_id": shop.client_id, "username": username, "password": password}


def token_headers(login: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {login['access_token']}"}


def audit_events(app_engine: Engine, client_id: str, action: str) -> list[AuditEvent]:
    """Read the audit log through a fresh session: only what was committed."""
    with transaction(make_session_factory(app_engine), client_id) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    ("username", "password", "role"), [("owner", "owner-password", "owner"), ("clerk", "clerk-password", "staff")]
)
def test_a_shop_user_logs_in_and_the_token_works(
    client: TestClient, settings: Settings, shop: Shop, username: str, password: str, role: str
) -> None:
    login = ok(client.post(LOGIN, json=credentials(shop, username, password)))
    assert (login["token_type"], login["role"], login["client_id"]) == ("bearer", role, shop.client_id)
    assert login["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    assert jwt.get_unverified_header(login["access_token"])["alg"] == "HS256"
    assert client.get(f"{V1}/orders", headers=token_headers(login)).status_code == 200


def test_a_wrong_password_is_401_and_the_failure_is_audited_despite_the_error(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    response = client.post(LOGIN, json=credentials(shop, "clerk", "not-the-password"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "wrong client, username or password"
    assert "access_token" not in response.text
    [failure] = audit_events(app_engine, shop.client_id, "login_failed")
    assert (failure.detail, failure.channel, failure.actor_user_id) == ({"username": "clerk"}, "rest", None)


def test_five_failures_lock_the_username_even_against_the_right_password(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    for _ in range(5):
        assert client.post(LOGIN, json=credentials(shop, "clerk", "guess-guess")).status_code == 401
    for password in ("guess-guess", "clerk-password"):
        locked = client.post(LOGIN, json=credentials(shop, "clerk", password))
        assert locked.status_code == 429
        assert locked.headers["content-type"] == "application/problem+json"
        assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
        assert "access_token" not in locked.text
    assert len(audit_events(app_engine, shop.client_id, "login_failed")) == 5
    # The lock is per username: the owner still logs in.
    assert client.post(LOGIN, json=credentials(shop, "owner", "owner-password")).status_code == 200


def test_the_superadmin_logs_in_without_a_client_id(client: TestClient, app_engine: Engine) -> None:
    with transaction(make_session_factory(app_engine)) as session:
        auth_service.ensure_platform_admin(session, "root", "root-password")
    assert client.post(LOGIN, json={"username": "root", "password": "wrong-password"}).status_code == 401
    login = ok(client.post(LOGIN, json={"username": "root", "password": "root-password"}))
    assert (login["role"], login["client_id"]) == ("superadmin", None)
    assert client.get(f"{V1}/admin/clients", headers=token_headers(login)).status_code == 200
    assert client.get(f"{V1}/orders", headers=token_headers(login)).status_code == 401


def test_staff_get_403_on_owner_only_routes(client: TestClient, shop: Shop) -> None:
    vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
    body = {"lines": [{"variant_id": vase["variants"][0]["id"], "quantity": 1}], "discount_pct": "15"}
    asked = client.post(f"{V1}/orders", json=body, headers=shop.staff)  # above auto-approval: the owner decides
    assert asked.status_code == 202
    decision = f"{V1}/approvals/{asked.json()['id']}"
    register = client.post(
        f"{V1}/auth/register", json={"username": "mole", "password": "mole-password"}, headers=shop.staff
    )
    for response in (register, client.post(decision, json={"approve": True}, headers=shop.staff)):
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/forbidden"
    assert ok(client.post(decision, json={"approve": True}, headers=shop.owner))["approval"]["status"] == "approved"


def test_an_owner_registers_a_staff_member_who_can_then_log_in(client: TestClient, shop: Shop) -> None:
    body = {"username": "newbie", "password": "newbie-password"}
    created = ok(client.post(f"{V1}/auth/register", json=body, headers=shop.owner), 201)
    assert (created["username"], created["role"], created["client_id"], created["is_active"]) == (
        "newbie",
        "staff",
        shop.client_id,
        True,
    )
    assert not SECRETS_IN_TEXT.search(str(created))
    assert "newbie-password" not in str(created)
    assert client.post(f"{V1}/auth/register", json=body, headers=shop.owner).status_code == 409
    login = ok(client.post(LOGIN, json=credentials(shop, "newbie", "newbie-password")))
    assert login["role"] == "staff"
    assert client.get(f"{V1}/reports/dashboard", headers=token_headers(login)).status_code == 403


def test_a_registration_cannot_pick_the_client_or_a_weak_password(
    client: TestClient, shop: Shop, other_shop: Shop
) -> None:
    for body in (
        {"username": "spy", "password": "spy-password", "client_id": other_shop.client_id},
        {"username": "weak", "password": "short"},
        {"username": "buyer", "password": "buyer-password", "role": "customer"},
    ):
        assert client.post(f"{V1}/auth/register", json=body, headers=shop.owner).status_code == 422, body


def totp_enrolment(client: TestClient, headers: dict[str, str], password: str) -> pyotp.TOTP:
    enrolment = ok(client.post(f"{V1}/auth/2fa/enroll", json={"password": password}, headers=headers))
    uri = enrolment["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "issuer=Easy%20Ecom" in uri
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    return totp


def wrong_code(totp: pyotp.TOTP, *also_wrong: str) -> str:
    """A six-digit code valid in no time step near now, and none of `also_wrong`."""
    now = time.time()
    near = {totp.at(now + seconds) for seconds in (-60, -30, 0, 30, 60)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in near | set(also_wrong))


def test_the_authenticators_current_code_unlocks_an_order_edit_and_a_wrong_one_is_403(
    client: TestClient, shop: Shop
) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
    order = place_order(client, shop, [(vase["variants"][0]["id"], 1)])
    edit = f"{V1}/orders/{order['id']}"
    wrong = client.patch(edit, json={"note": "gift"}, headers=shop.staff | {"X-2FA-Code": wrong_code(totp, "123456")})
    assert wrong.status_code == 403
    assert "wrong or expired" in wrong.json()["detail"]
    edited = ok(client.patch(edit, json={"note": "gift"}, headers=shop.staff | {"X-2FA-Code": totp.now()}))
    assert edited["note"] == "gift"
    # The code is the acting user's own: the owner (not enrolled) cannot use the clerk's.
    assert client.patch(edit, json={"note": "x"}, headers=shop.owner | {"X-2FA-Code": totp.now()}).status_code == 403


def production(settings: Settings, **overrides: object) -> Settings:
    """The same connections under production rules (validated again, as at a real start)."""
    values = settings.model_dump() | {"EASY_ECOM_ENV": "production", "ORDER_EDIT_2FA_CODE": "123456"} | overrides
    return Settings(_env_file=None, **values)


def test_in_production_the_static_code_is_refused_and_totp_works(settings: Settings, shop: Shop) -> None:
    prod = production(settings)
    assert prod.ORDER_EDIT_2FA_CODE == ""
    with TestClient(create_app(prod)) as client:
        vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
        order = place_order(client, shop, [(vase["variants"][0]["id"], 1)])
        edit = f"{V1}/orders/{order['id']}"
        static = client.patch(edit, json={"note": "gift"}, headers=shop.owner | {"X-2FA-Code": "123456"})
        assert static.status_code == 403
        totp = totp_enrolment(client, shop.owner, "owner-password")
        assert (
            ok(client.patch(edit, json={"note": "gift"}, headers=shop.owner | {"X-2FA-Code": totp.now()}))["note"]
            == "gift"
        )


def test_in_production_even_an_explicit_static_code_is_refused(settings: Settings, shop: Shop) -> None:
    with TestClient(create_app(production(settings, ORDER_EDIT_2FA_CODE="424242"))) as client:
        vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
        order = place_order(client, shop, [(vase["variants"][0]["id"], 1)])
        refused = client.delete(f"{V1}/orders/{order['id']}", headers=shop.owner | {"X-2FA-Code": "424242"})
        assert refused.status_code == 403


def test_production_refuses_a_short_secret_key(settings: Settings) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        production(settings, SECRET_KEY="too-short")


def test_no_response_carries_password_hashes_or_totp_secrets(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    enrolment = ok(client.post(f"{V1}/auth/2fa/enroll", json={"password": "owner-password"}, headers=shop.owner))
    with transaction(make_session_factory(app_engine)) as session:
        auth_service.ensure_platform_admin(session, "root", "root-password")
    root = token_headers(ok(client.post(LOGIN, json={"username": "root", "password": "root-password"})))
    responses = [
        client.post(LOGIN, json=credentials(shop, "owner", "owner-password")),
        client.post(LOGIN, json=credentials(shop, "owner", "wrong-password")),
        client.post(
            f"{V1}/auth/register", json={"username": "newbie", "password": "newbie-password"}, headers=shop.owner
        ),
        client.get(f"{V1}/sessions/logs", headers=shop.owner),
        client.get(f"{V1}/admin/users", params={"client_id": shop.client_id}, headers=root),
        client.get(f"{V1}/admin/clients", headers=root),
        client.get("/openapi.json"),
    ]
    for response in responses:
        assert response.status_code < 500
        assert not SECRETS_IN_TEXT.search(response.text), response.request.url
        assert enrolment["secret"] not in response.text, response.request.url


def test_the_app_refuses_to_start_as_a_role_with_bypassrls(
    settings: Settings, owner_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(test_ops covers a superuser role; BYPASSRLS alone must be refused as well.)"""
    owner_engine = make_engine(owner_url)
    role = f"rls_bypasser_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide
    with owner_engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN BYPASSRLS PASSWORD 'bypass-password'"))
        connection.execute(text(f'GRANT CONNECT ON DATABASE "{make_url(owner_url).database}" TO {role}'))
    monkeypatch.setattr(infra_db, "app_role_password", lambda *_: "bypass-password")
    try:
        with (
            pytest.raises(ConfigError, match="BYPASSRLS"),
            TestClient(create_app(settings.model_copy(update={"DATABASE_APP_ROLE": role}))),
        ):
            pass
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text(f'REVOKE CONNECT ON DATABASE "{make_url(owner_url).database}" FROM {role}'))
            connection.execute(text(f"DROP ROLE {role}"))
        owner_engine.dispose()
