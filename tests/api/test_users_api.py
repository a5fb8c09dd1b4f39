"""REST users: owners list, add, deactivate and reactivate users and reset staff passwords; everyone
changes their own password; all of it audited; a deactivated user's token stops at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, ok

USERS = f"{V1}/users"

pytestmark = pytest.mark.usefixtures("redis_client")  # fresh login rate-limit counters for every test


def log_in(client: TestClient, shop: Shop, username: str, password: str) -> int:
    body = {"client_id": shop.client_id, "username": username, "password": password}
    return client.post(f"{V1}/auth/login", json=body).status_code


def actions(client: TestClient, shop: Shop, action: str) -> list[str | None]:
    log = ok(client.get(f"{V1}/sessions/logs", params={"action": action}, headers=shop.owner))
    return [e["target_id"] for e in log["items"]]


def test_owners_list_and_add_users_staff_cannot(client: TestClient, shop: Shop) -> None:
    added = ok(client.post(USERS, json={"username": "tunde", "password": "tunde-password"}, headers=shop.owner), 201)
    assert (added["role"], added["is_active"]) == ("staff", True)
    listed = ok(client.get(USERS, headers=shop.owner))
    assert [u["username"] for u in listed["items"]] == ["clerk", "owner", "tunde"]
    assert "password_hash" not in str(listed)
    assert client.get(USERS, headers=shop.staff).status_code == 403
    assert client.post(USERS, json={"username": "x", "password": "x-password"}, headers=shop.staff).status_code == 403
    taken = client.post(USERS, json={"username": "tunde", "password": "other-password"}, headers=shop.owner)
    assert taken.status_code == 409
    assert client.post(USERS, json={"username": "short", "password": "short"}, headers=shop.owner).status_code == 422


def test_a_deactivated_users_token_stops_working_until_reactivated(client: TestClient, shop: Shop) -> None:
    assert client.get(f"{V1}/orders", headers=shop.staff).status_code == 200
    off = ok(client.post(f"{USERS}/{shop.staff_id}/deactivate", headers=shop.owner))
    assert off["is_active"] is False
    assert client.get(f"{V1}/orders", headers=shop.staff).status_code == 401
    assert log_in(client, shop, "clerk", "clerk-password") == 401
    ok(client.post(f"{USERS}/{shop.staff_id}/reactivate", headers=shop.owner))
    assert client.get(f"{V1}/orders", headers=shop.staff).status_code == 200
    assert actions(client, shop, "user_deactivated") == [str(shop.staff_id)]
    assert actions(client, shop, "user_reactivated") == [str(shop.staff_id)]


def test_an_owner_cannot_deactivate_themself_and_staff_cannot_deactivate_anyone(client: TestClient, shop: Shop) -> None:
    self_off = client.post(f"{USERS}/{shop.owner_id}/deactivate", headers=shop.owner)
    assert self_off.status_code == 422
    assert "yourself" in self_off.json()["detail"]
    assert client.post(f"{USERS}/{shop.owner_id}/deactivate", headers=shop.staff).status_code == 403
    assert client.get(f"{V1}/orders", headers=shop.owner).status_code == 200


def test_the_owner_resets_a_staff_password_but_not_another_owners(client: TestClient, shop: Shop) -> None:
    assert (
        client.post(
            f"{USERS}/{shop.staff_id}/password", json={"new_password": "fresh-password"}, headers=shop.owner
        ).status_code
        == 204
    )
    assert log_in(client, shop, "clerk", "clerk-password") == 401
    assert log_in(client, shop, "clerk", "fresh-password") == 200
    assert actions(client, shop, "password_reset") == [str(shop.staff_id)]
    other_owner = ok(
        client.post(
            USERS, json={"username": "ngozi", "password": "ngozi-password", "role": "owner"}, headers=shop.owner
        ),
        201,
    )
    refused = client.post(
        f"{USERS}/{other_owner['id']}/password", json={"new_password": "hijack-password"}, headers=shop.owner
    )
    assert refused.status_code == 403
    assert (
        client.post(f"{USERS}/{shop.staff_id}/password", json={"new_password": "x"}, headers=shop.owner).status_code
        == 422
    )


def test_everyone_changes_their_own_password_with_the_current_one(client: TestClient, shop: Shop) -> None:
    url = f"{USERS}/me/password"
    wrong = client.post(
        url, json={"current_password": "guess-guess", "new_password": "new-clerk-password"}, headers=shop.staff
    )
    assert wrong.status_code == 403
    assert "current password" in wrong.json()["detail"]
    same = client.post(
        url, json={"current_password": "clerk-password", "new_password": "clerk-password"}, headers=shop.staff
    )
    assert same.status_code == 422
    changed = client.post(
        url, json={"current_password": "clerk-password", "new_password": "new-clerk-password"}, headers=shop.staff
    )
    assert changed.status_code == 204
    assert log_in(client, shop, "clerk", "new-clerk-password") == 200
    assert actions(client, shop, "password_changed") == [str(shop.staff_id)]


def test_another_shops_users_are_not_found(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    assert client.post(f"{USERS}/{shop.staff_id}/deactivate", headers=other_shop.owner).status_code == 404
    reset = client.post(
        f"{USERS}/{shop.staff_id}/password", json={"new_password": "stolen-password"}, headers=other_shop.owner
    )
    assert reset.status_code == 404
    assert [u["username"] for u in ok(client.get(USERS, headers=other_shop.owner))["items"]] == ["clerk", "owner"]
    assert client.get(f"{V1}/orders", headers=shop.staff).status_code == 200
