"""Bearer tokens: only an unexpired HS256 token signed with our key, for a user who still exists and
is active, opens a route; everything else is 401 problem+json. Forged tokens are built by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, update

from api.security import ISSUER, Principal, issue_token
from domain import auth as auth_service
from domain.models import Role, User
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import Shop, bearer

V1 = "/api/v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, object]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unb64url_json(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_for(shop: Shop, role: str = "owner") -> dict[str, object]:
    """The claims our own tokens carry, valid for ten minutes."""
    now = int(datetime.now(UTC).timestamp())
    return {
        "iss": ISSUER,
        "sub": str(shop.owner_id),
        "name": "owner",
        "role": role,
        "cid": shop.client_id,
        "iat": now,
        "exp": now + 600,
    }


def with_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(f"{V1}/orders", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/authentication_failed"


def test_our_own_token_is_accepted(client: TestClient, shop: Shop) -> None:
    assert client.get(f"{V1}/orders", headers=shop.owner).status_code == 200


def test_no_token_or_another_scheme_is_unauthorized(client: TestClient, shop: Shop) -> None:
    token = shop.owner["Authorization"].removeprefix("Bearer ")
    for headers in ({}, {"Authorization": token}, {"Authorization": f"Basic {token}"}, with_token("")):
        assert_unauthorized(client, headers)


def test_an_expired_token_is_unauthorized(client: TestClient, settings: Settings, shop: Shop) -> None:
    principal = Principal(shop.owner_id, "owner", Role.OWNER, shop.client_id)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert_unauthorized(
        client, with_token(issue_token(settings.secret_key(), principal, timedelta(minutes=5), an_hour_ago))
    )


def test_a_token_signed_with_another_key_is_unauthorized(client: TestClient, shop: Shop) -> None:
    assert_unauthorized(client, with_token(jwt.encode(claims_for(shop), "another-key-" * 4, algorithm="HS256")))


def test_an_unsigned_alg_none_token_is_unauthorized(client: TestClient, shop: Shop) -> None:
    for alg in ("none", "None", "NONE"):
        token = f"{b64url_json({'alg': alg, 'typ': 'JWT'})}.{b64url_json(claims_for(shop))}."
        assert_unauthorized(client, with_token(token))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the forger's problem
def test_another_hmac_algorithm_is_refused_even_with_our_key(
    client: TestClient, settings: Settings, shop: Shop, algorithm: str
) -> None:
    assert_unauthorized(client, with_token(jwt.encode(claims_for(shop), settings.secret_key(), algorithm=algorithm)))


def test_an_rs256_token_is_refused_whether_rsa_signed_or_hmac_signed_with_our_key(
    client: TestClient, settings: Settings, shop: Shop
) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_unauthorized(client, with_token(jwt.encode(claims_for(shop), private_key, algorithm="RS256")))
    # Key confusion: an RS256 header over an HMAC made with our secret.
    signing_input = f"{b64url_json({'alg': 'RS256', 'typ': 'JWT'})}.{b64url_json(claims_for(shop))}"
    mac = hmac.new(settings.secret_key().encode(), signing_input.encode(), hashlib.sha256).digest()
    assert_unauthorized(client, with_token(f"{signing_input}.{b64url(mac)}"))


def test_a_staff_token_edited_to_say_owner_is_unauthorized(client: TestClient, shop: Shop) -> None:
    token = shop.staff["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = unb64url_json(payload)
    assert claims["role"] == "staff"
    escalated = f"{header}.{b64url_json(claims | {'role': 'owner'})}.{signature}"
    assert_unauthorized(client, with_token(escalated))
    assert (
        client.post(f"{V1}/auth/register", json={"username": "x", "password": "x" * 8}, headers=shop.staff).status_code
        == 403
    )


def test_a_token_moved_to_another_client_is_unauthorized(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    header, payload, signature = shop.owner["Authorization"].removeprefix("Bearer ").split(".")
    moved = f"{header}.{b64url_json(unb64url_json(payload) | {'cid': other_shop.client_id})}.{signature}"
    assert_unauthorized(client, with_token(moved))


def test_a_token_for_a_user_that_never_existed_is_unauthorized(
    client: TestClient, settings: Settings, shop: Shop
) -> None:
    assert_unauthorized(client, bearer(settings, Principal(uuid.uuid4(), "ghost", Role.OWNER, shop.client_id)))


@pytest.mark.parametrize("fate", ["disabled", "deleted"])
def test_the_token_of_a_disabled_or_deleted_user_stops_working(
    client: TestClient, settings: Settings, app_engine: Engine, shop: Shop, fate: str
) -> None:
    factory = make_session_factory(app_engine)
    with transaction(factory, shop.client_id) as session:
        temp = auth_service.add_user(session, shop.client_id, "temp", "temp-password", Role.STAFF)
    headers = bearer(settings, Principal(temp.id, "temp", Role.STAFF, shop.client_id))
    assert client.get(f"{V1}/orders", headers=headers).status_code == 200
    with transaction(factory, shop.client_id) as session:
        if fate == "disabled":
            session.execute(update(User).where(User.id == temp.id).values(is_active=False))
        else:
            session.execute(delete(User).where(User.id == temp.id))
    assert_unauthorized(client, headers)
