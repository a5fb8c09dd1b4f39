"""REST admin: the platform superadmin onboards businesses and reads across them; tenants get 403."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, delivered_order, ok

D = Decimal
ADMIN_READS = ("clients", "users", "dashboard")

pytestmark = pytest.mark.usefixtures("redis_client")  # fresh login rate-limit counters for every test


def new_client_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": f"acme_{uuid.uuid4().hex[:8]}",
        "name": "Acme Shoes",
        "timezone": "Africa/Lagos",
        "currency": "NGN",
        "max_discount_pct": "15",
        "auto_approve_discount_pct": "5",
        "return_window_days": 30,
        "owner": {"username": "boss", "password": "boss-password"},
    }
    return body | overrides


def test_the_superadmin_onboards_a_client_whose_owner_can_log_in(client: TestClient, root: dict[str, str]) -> None:
    body = new_client_body()
    created = ok(client.post(f"{V1}/admin/clients", json=body, headers=root), 201)
    assert (created["client"]["id"], created["client"]["timezone"], created["client"]["currency"]) == (
        body["id"],
        "Africa/Lagos",
        "NGN",
    )
    assert (D(created["client"]["max_discount_pct"]), created["client"]["return_window_days"]) == (D("15"), 30)
    assert (created["owner"]["username"], created["owner"]["role"]) == ("boss", "owner")
    assert "password" not in str(created)
    login = client.post(
        f"{V1}/auth/login", json={"client_id": body["id"], "username": "boss", "password": "boss-password"}
    )
    token = ok(login)
    assert (token["role"], token["client_id"]) == ("owner", body["id"])
    products = ok(client.get(f"{V1}/products", headers={"Authorization": f"Bearer {token['access_token']}"}))
    assert products["total"] == 0


def test_a_taken_id_is_a_conflict_and_bad_settings_create_nothing(client: TestClient, root: dict[str, str]) -> None:
    body = new_client_body()
    ok(client.post(f"{V1}/admin/clients", json=body, headers=root), 201)
    taken = client.post(f"{V1}/admin/clients", json=body | {"name": "Copycat"}, headers=root)
    assert taken.status_code == 409
    assert taken.json()["type"] == "/problems/conflict"

    threshold_above_cap = new_client_body(max_discount_pct="10", auto_approve_discount_pct="15")
    response = client.post(f"{V1}/admin/clients", json=threshold_above_cap, headers=root)
    assert response.status_code == 422
    assert "cannot exceed the discount cap" in response.json()["detail"]
    for bad in (
        new_client_body(timezone="Mars/Olympus"),
        new_client_body(id="Not A Slug"),
        new_client_body(owner={"username": "boss", "password": "short"}),
        new_client_body(max_discount_pct="120"),
        new_client_body(next_order_number=1),
        new_client_body(name="Acme\x00"),
    ):
        assert client.post(f"{V1}/admin/clients", json=bad, headers=root).status_code == 422, bad
    refused = client.get(f"{V1}/admin/users", params={"client_id": threshold_above_cap["id"]}, headers=root)
    assert refused.status_code == 404  # nothing was left behind


def test_users_are_listed_per_client_without_secrets(
    client: TestClient, root: dict[str, str], shop: Shop, other_shop: Shop
) -> None:
    users = ok(client.get(f"{V1}/admin/users", params={"client_id": shop.client_id}, headers=root))
    assert users["total"] == 2
    assert [(u["username"], u["role"], u["client_id"]) for u in users["items"]] == [
        ("clerk", "staff", shop.client_id),
        ("owner", "owner", shop.client_id),
    ]
    assert "password" not in str(users)
    assert "totp" not in str(users)
    everyone = ok(client.get(f"{V1}/admin/users", params={"limit": 1}, headers=root))
    assert everyone["total"] >= 4
    assert len(everyone["items"]) == 1
    unknown = client.get(f"{V1}/admin/users", params={"client_id": "no_such_shop"}, headers=root)
    assert unknown.status_code == 404


def test_clients_are_listed_by_id_and_paginated(
    client: TestClient, root: dict[str, str], shop: Shop, other_shop: Shop
) -> None:
    first = ok(client.get(f"{V1}/admin/clients", params={"limit": 1}, headers=root))
    assert first["total"] >= 2
    assert len(first["items"]) == 1
    everything = ok(client.get(f"{V1}/admin/clients", params={"limit": 100}, headers=root))
    ids = [c["id"] for c in everything["items"]]
    assert ids == sorted(ids)
    assert ids[0] == first["items"][0]["id"]
    assert client.get(f"{V1}/admin/clients", params={"limit": 101}, headers=root).status_code == 422


def test_the_platform_dashboard_rolls_up_each_clients_sales_and_stock(
    client: TestClient, root: dict[str, str], shop: Shop, other_shop: Shop
) -> None:
    rug = add_product(client, shop, "Wool Rug", {"RUG-WOOL": "120.00"}, stock=4, cost="60.00")
    delivered_order(client, shop, [(rug["variants"][0]["id"], 1)], discount_pct="10")
    add_product(client, other_shop, "Jute Rug", {"RUG-JUTE": "80.00"}, stock=3, cost="30.00")

    mine = ok(client.get(f"{V1}/admin/dashboard", params={"client_id": shop.client_id}, headers=root))
    pnl = ok(client.get(f"{V1}/reports/profit-loss", headers=shop.owner))
    valuation = ok(client.get(f"{V1}/reports/inventory-valuation", headers=shop.owner))
    [row] = mine["clients"]["items"]
    assert (row["client_id"], row["order_count"], row["units_on_hand"]) == (shop.client_id, 1, 3)
    assert (D(row["net_sales"]), D(row["inventory_value"])) == (D(pnl["net_sales"]), D(valuation["total"]))
    assert (D(row["net_sales"]), D(row["inventory_value"])) == (D("108.00"), D("180.00"))
    [totals] = mine["totals"]
    assert (totals["currency"], totals["client_count"], D(totals["net_sales"])) == ("USD", 1, D("108.00"))
    assert mine["clients"]["total"] == 1

    theirs = ok(client.get(f"{V1}/admin/dashboard", params={"client_id": other_shop.client_id}, headers=root))
    [row] = theirs["clients"]["items"]
    assert (row["order_count"], D(row["net_sales"]), D(row["inventory_value"])) == (0, D("0.00"), D("90.00"))

    everyone = ok(client.get(f"{V1}/admin/dashboard", params={"limit": 1}, headers=root))
    assert everyone["clients"]["total"] == sum(t["client_count"] for t in everyone["totals"]) >= 2
    assert len(everyone["clients"]["items"]) == 1
    unknown = client.get(f"{V1}/admin/dashboard", params={"client_id": "no_such_shop"}, headers=root)
    assert unknown.status_code == 404


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_tenant_users_get_403_on_every_admin_route(client: TestClient, shop: Shop, role: str) -> None:
    headers = getattr(shop, role)
    responses = [client.get(f"{V1}/admin/{path}", headers=headers) for path in ADMIN_READS]
    responses.append(client.post(f"{V1}/admin/clients", json=new_client_body(), headers=headers))
    assert [r.status_code for r in responses] == [403] * 4
    assert all(r.json()["type"] == "/problems/forbidden" for r in responses)


def test_admin_routes_need_a_token(client: TestClient) -> None:
    responses = [client.get(f"{V1}/admin/{path}") for path in ADMIN_READS]
    responses.append(client.post(f"{V1}/admin/clients", json=new_client_body()))
    assert [r.status_code for r in responses] == [401] * 4


def test_the_superadmin_token_opens_no_tenant_route(client: TestClient, root: dict[str, str]) -> None:
    for path in ("orders", "products", "returns", "reports/dashboard"):
        assert client.get(f"{V1}/{path}", headers=root).status_code == 401, path


def test_the_superadmin_lists_every_shops_products_and_orders_with_one_client_filter(
    client: TestClient, root: dict[str, str], shop: Shop, other_shop: Shop
) -> None:
    for owner, sku in ((shop, "RECORD-A"), (other_shop, "RECORD-B")):
        variant = add_product(client, owner, sku.title(), {sku: "10.00"})["variants"][0]["id"]
        ok(
            client.post(f"{V1}/orders", json={"lines": [{"variant_id": variant, "quantity": 1}]}, headers=owner.owner),
            201,
        )
    for listing in ("products", "orders"):
        everyone = ok(client.get(f"{V1}/admin/{listing}", params={"limit": 100}, headers=root))
        assert {shop.client_id, other_shop.client_id} <= {item["client_id"] for item in everyone["items"]}
        one = ok(client.get(f"{V1}/admin/{listing}", params={"client_id": shop.client_id}, headers=root))
        assert (one["total"], {item["client_id"] for item in one["items"]}) == (1, {shop.client_id})
        assert (
            client.get(f"{V1}/admin/{listing}", params={"client_id": "no_such_shop"}, headers=root).status_code == 404
        )
        assert client.get(f"{V1}/admin/{listing}", headers=shop.owner).status_code == 403
    products = ok(client.get(f"{V1}/admin/products", params={"client_id": other_shop.client_id}, headers=root))
    assert products["items"][0]["variants"][0]["avg_cost"] == "11.5000"
    orders = ok(client.get(f"{V1}/admin/orders", params={"client_id": other_shop.client_id}, headers=root))
    assert orders["items"][0]["cogs_total"] == "11.50"
