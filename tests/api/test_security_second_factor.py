"""The TOTP second factor: single-use codes, counted and audited failures with a lockout,
re-enrolment that needs proof, the owner's reset, and the static development code."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from infra.settings import DEV_2FA_CODE
from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, ok, place_order
from tests.api.test_security_auth import audit_events, totp_enrolment, wrong_code

ENROLL = f"{V1}/auth/2fa/enroll"


def pending_order_edit(client: TestClient, shop: Shop) -> str:
    vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=5)
    order = place_order(client, shop, [(vase["variants"][0]["id"], 1)])
    return f"{V1}/orders/{order['id']}"


def edit(client: TestClient, url: str, headers: dict[str, str], code: str, note: str = "gift"):
    return client.patch(url, json={"note": note}, headers=headers | {"X-2FA-Code": code})


def test_a_totp_code_works_once_and_its_replay_is_refused(client: TestClient, shop: Shop) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    url = pending_order_edit(client, shop)
    code = totp.now()
    assert ok(edit(client, url, shop.staff, code))["note"] == "gift"
    replay = edit(client, url, shop.staff, code, "replayed")
    assert replay.status_code == 403
    assert "already used" in replay.json()["detail"]
    assert ok(client.get(url, headers=shop.staff))["note"] == "gift"


def test_five_wrong_codes_are_audited_and_lock_the_second_factor_even_against_the_right_code(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    url = pending_order_edit(client, shop)
    wrong = wrong_code(totp)
    for _ in range(5):
        refused = edit(client, url, shop.staff, wrong)
        assert refused.status_code == 403
    assert "locked for 15 minutes" in refused.json()["detail"]
    locked = edit(client, url, shop.staff, totp.now())
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    failures = audit_events(app_engine, shop.client_id, "second_factor_failed")
    assert [event.detail.get("failures") for event in failures] == [1, 2, 3, 4, 5]
    assert "locked_until" in failures[-1].detail
    assert {event.target_id for event in failures} == {str(shop.staff_id)}
    assert ok(client.get(url, headers=shop.staff))["note"] != "gift"


def test_a_right_code_resets_the_failure_count(client: TestClient, app_engine: Engine, shop: Shop) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    url = pending_order_edit(client, shop)
    for _ in range(4):
        assert edit(client, url, shop.staff, wrong_code(totp)).status_code == 403
    assert edit(client, url, shop.staff, totp.now()).status_code == 200
    for _ in range(4):
        assert edit(client, url, shop.staff, wrong_code(totp)).status_code == 403
    events = audit_events(app_engine, shop.client_id, "second_factor_failed")
    assert [event.detail["failures"] for event in events] == [1, 2, 3, 4, 1, 2, 3, 4]


def test_a_bearer_token_alone_cannot_replace_the_authenticator(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    without_code = client.post(ENROLL, json={"password": "clerk-password"}, headers=shop.staff)
    assert without_code.status_code == 403
    assert "current code" in without_code.json()["detail"]
    assert client.post(ENROLL, headers=shop.staff | {"X-2FA-Code": wrong_code(totp)}).status_code == 403
    replaced = ok(client.post(ENROLL, headers=shop.staff | {"X-2FA-Code": totp.now()}))
    new_totp = pyotp.parse_uri(replaced["otpauth_uri"])
    assert new_totp.secret != totp.secret
    url = pending_order_edit(client, shop)
    assert edit(client, url, shop.staff, totp.now()).status_code == 403  # the old authenticator is gone
    assert edit(client, url, shop.staff, new_totp.now()).status_code == 200
    enrolled = audit_events(app_engine, shop.client_id, "second_factor_enrolled")
    assert [event.detail for event in enrolled] == [{"replaced": False}, {"replaced": True}]
    assert len(audit_events(app_engine, shop.client_id, "second_factor_failed")) == 2  # wrong, then old seed


def test_a_first_enrolment_needs_the_password_and_a_wrong_one_is_audited(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    assert client.post(ENROLL, headers=shop.staff).status_code == 403
    assert client.post(ENROLL, json={"password": "not-my-password"}, headers=shop.staff).status_code == 403
    assert len(audit_events(app_engine, shop.client_id, "second_factor_failed")) == 2
    assert audit_events(app_engine, shop.client_id, "second_factor_enrolled") == []
    totp_enrolment(client, shop.staff, "clerk-password")


def test_the_owner_resets_a_staff_members_second_factor_and_staff_cannot(
    client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    totp = totp_enrolment(client, shop.staff, "clerk-password")
    url = pending_order_edit(client, shop)
    for _ in range(5):
        edit(client, url, shop.staff, wrong_code(totp))
    assert edit(client, url, shop.staff, totp.now()).status_code == 429
    assert client.delete(f"{V1}/users/{shop.staff_id}/2fa", headers=shop.staff).status_code == 403
    assert client.delete(f"{V1}/users/{shop.owner_id}/2fa", headers=shop.owner).status_code == 403
    assert client.delete(f"{V1}/users/{shop.staff_id}/2fa", headers=shop.owner).status_code == 204
    [reset] = audit_events(app_engine, shop.client_id, "second_factor_reset")
    assert (reset.target_id, reset.detail["had_totp"], reset.actor_user_id) == (str(shop.staff_id), True, shop.owner_id)
    fresh = totp_enrolment(client, shop.staff, "clerk-password")  # the password works again: nothing enrolled
    assert edit(client, url, shop.staff, fresh.now()).status_code == 200


def test_the_static_development_code_works_until_the_user_enrols_totp(client: TestClient, shop: Shop) -> None:
    url = pending_order_edit(client, shop)
    assert edit(client, url, shop.owner, DEV_2FA_CODE).status_code == 200
    totp = totp_enrolment(client, shop.owner, "owner-password")
    refused = edit(client, url, shop.owner, DEV_2FA_CODE, "static")
    assert refused.status_code == 403
    assert edit(client, url, shop.owner, totp.now(), "totp").status_code == 200
