"""REST audit log: logins, failed logins and sensitive operations, for owners only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, ok, place_order

LOGS = f"{V1}/sessions/logs"

pytestmark = pytest.mark.usefixtures("redis_client")  # fresh login rate-limit counters for every test


def log_in(client: TestClient, shop: Shop, username: str, password: str) -> int:
    body = {"client_id": shop.client_id, "username": username, "password": password}
    return client.post(f"{V1}/auth/login", json=body).status_code


def test_logins_and_failed_logins_appear_in_the_owners_log(client: TestClient, shop: Shop) -> None:
    assert log_in(client, shop, "clerk", "clerk-password") == 200
    assert log_in(client, shop, "clerk", "not-the-password") == 401
    assert log_in(client, shop, "nobody", "whatever-it-is") == 401
    logins = ok(client.get(LOGS, params={"action": "login"}, headers=shop.owner))
    assert [(e["actor_name"], e["actor_user_id"], e["channel"]) for e in logins["items"]] == [
        ("clerk", str(shop.staff_id), "rest")
    ]
    failures = ok(client.get(LOGS, params={"action": "login_failed"}, headers=shop.owner))
    assert failures["total"] == 2
    assert [e["detail"]["username"] for e in failures["items"]] == ["nobody", "clerk"]  # newest first
    assert all(e["actor_user_id"] is None for e in failures["items"])


def test_sensitive_operations_are_logged_with_their_target(client: TestClient, shop: Shop) -> None:
    vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
    order = place_order(client, shop, [(vase["variants"][0]["id"], 1)])
    ok(client.delete(f"{V1}/orders/{order['id']}", headers=shop.staff | {"X-2FA-Code": "123456"}))
    cancelled = ok(client.get(LOGS, params={"action": "order_cancelled"}, headers=shop.owner))
    assert [(e["target_type"], e["target_id"], e["actor_name"]) for e in cancelled["items"]] == [
        ("order", order["id"], "clerk")
    ]
    assert cancelled["items"][0]["detail"]["order_number"] == order["number"]


def test_the_log_filters_by_time_and_pages(client: TestClient, shop: Shop) -> None:
    for _ in range(2):
        assert log_in(client, shop, "owner", "owner-password") == 200
    everything = ok(client.get(LOGS, headers=shop.owner))
    assert everything["total"] >= 4  # two users created, two logins
    page = ok(client.get(LOGS, params={"limit": 1, "offset": 1}, headers=shop.owner))
    assert (page["total"], page["items"]) == (everything["total"], everything["items"][1:2])
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert ok(client.get(LOGS, params={"since": future}, headers=shop.owner))["total"] == 0
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert ok(client.get(LOGS, params={"since": past}, headers=shop.owner))["total"] == everything["total"]
    assert client.get(LOGS, params={"limit": 0}, headers=shop.owner).status_code == 422
    assert client.get(LOGS, params={"action": "login\x00"}, headers=shop.owner).status_code == 422
    assert client.get(LOGS, params={"since": "1969-12-31T23:00:00Z"}, headers=shop.owner).status_code == 422


def test_staff_cannot_read_the_log(client: TestClient, shop: Shop) -> None:
    response = client.get(LOGS, headers=shop.staff)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_another_tenants_events_are_invisible(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    assert log_in(client, other_shop, "owner", "owner-password") == 200
    assert ok(client.get(LOGS, params={"action": "login"}, headers=shop.owner))["total"] == 0
    mine = ok(client.get(LOGS, headers=shop.owner))
    assert {e["actor_user_id"] for e in mine["items"]} <= {None, str(shop.owner_id), str(shop.staff_id)}


def test_the_log_needs_a_token(client: TestClient) -> None:
    assert client.get(LOGS).status_code == 401
