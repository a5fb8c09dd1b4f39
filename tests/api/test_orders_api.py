"""REST orders end to end: auth, roles, tenant isolation, idempotency, second factor, problem+json."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.conftest import Shop


def add_product(client: TestClient, shop: Shop, sku: str, price: str = "25.00", stock: int = 10) -> str:
    created = client.post(
        "/api/v1/products",
        json={"name": sku.title(), "category": "apparel", "variants": [{"sku": sku, "price": price}]},
        headers=shop.owner,
    )
    assert created.status_code == 201, created.text
    variant_id = created.json()["variants"][0]["id"]
    received = client.post(
        "/api/v1/inventory/adjustments",
        json={"variant_id": variant_id, "type": "receipt", "quantity": stock, "unit_cost": "11.50"},
        headers=shop.owner,
    )
    assert received.status_code == 201, received.text
    return variant_id


def test_an_order_is_created_priced_by_the_server(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "TEE-NAVY-M")
    response = client.post(
        "/api/v1/orders",
        json={"lines": [{"variant_id": variant_id, "quantity": 2}], "discount_pct": "5"},
        headers=shop.staff,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (Decimal(body["subtotal"]), Decimal(body["total"])) == (Decimal("50.00"), Decimal("47.50"))
    assert "cogs_total" not in body
    assert "unit_cost" not in body["lines"][0]
    as_owner = client.get(f"/api/v1/orders/{body['id']}", headers=shop.owner).json()
    assert Decimal(as_owner["cogs_total"]) == Decimal("23.00")


def test_a_request_cannot_set_totals_or_the_tenant(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "TEE-NAVY-L")
    for extra in ({"total": "1.00"}, {"client_id": "someone_else"}, {"unit_price": "0.01"}):
        response = client.post(
            "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}], **extra}, headers=shop.owner
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_a_discount_above_the_cap_is_a_problem_naming_the_cap(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "TEE-NAVY-S")
    response = client.post(
        "/api/v1/orders",
        json={"lines": [{"variant_id": variant_id, "quantity": 1}], "discount_pct": "40"},
        headers=shop.owner,
    )
    assert response.status_code == 422
    assert "cap of 20" in response.json()["detail"]


def test_out_of_stock_is_a_conflict(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "TEE-NAVY-XL", stock=1)
    response = client.post(
        "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 3}]}, headers=shop.owner
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/out_of_stock"


def test_idempotency_key_returns_the_first_order_and_refuses_another_body(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-IDEM", stock=5)
    headers = shop.owner | {"Idempotency-Key": "checkout-42"}
    first = client.post("/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=headers)
    again = client.post("/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=headers)
    other = client.post("/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 2}]}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 422
    assert client.get("/api/v1/orders", headers=shop.owner).json()["total"] == 1


def test_editing_or_cancelling_needs_the_second_factor(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-2FA", stock=5)
    order_id = client.post(
        "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=shop.owner
    ).json()["id"]
    assert client.patch(f"/api/v1/orders/{order_id}", json={"note": "gift"}, headers=shop.owner).status_code == 403
    wrong = client.delete(f"/api/v1/orders/{order_id}", headers=shop.owner | {"X-2FA-Code": "000000"})
    assert wrong.status_code == 403
    edited = client.patch(
        f"/api/v1/orders/{order_id}", json={"note": "gift"}, headers=shop.owner | {"X-2FA-Code": "123456"}
    )
    assert edited.status_code == 200
    assert edited.json()["note"] == "gift"
    cancelled = client.delete(f"/api/v1/orders/{order_id}", headers=shop.owner | {"X-2FA-Code": "123456"})
    assert cancelled.json()["status"] == "cancelled"


def test_another_tenants_order_is_not_found(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-ISO", stock=5)
    order_id = client.post(
        "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=shop.owner
    ).json()["id"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=other_shop.owner).status_code == 404
    stolen = client.post(
        "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=other_shop.owner
    )
    assert stolen.status_code == 404
    assert client.get("/api/v1/orders", headers=other_shop.owner).json()["total"] == 0


def test_requests_without_a_valid_token_are_unauthorized(client: TestClient, shop: Shop) -> None:
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/api/v1/orders", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401


def test_movement_filters_need_a_timezone(client: TestClient, shop: Shop) -> None:
    naive = client.get("/api/v1/inventory/movements", params={"since": "2026-01-01T00:00:00"}, headers=shop.owner)
    aware = client.get("/api/v1/inventory/movements", params={"since": "2026-01-01T00:00:00Z"}, headers=shop.owner)
    assert naive.status_code == 422
    assert aware.status_code == 200
