"""Input PostgreSQL cannot store (a NUL character, in text or in JSONB) is refused with 422, never
a 500: schemathesis found these (a NUL in `GET /products?category=`, then the same hole in every
older free-text field)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, place_order

NUL = "\x00"


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]


def product_body(**fields: object) -> dict[str, object]:
    return {"name": "Vase", "variants": [{"sku": "VASE-NUL", "price": "10.00"}]} | fields


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("name", product_body(name=f"Va{NUL}se")),
        ("description", product_body(description=NUL)),
        ("category", product_body(category=f"home{NUL}")),
        ("options", product_body(variants=[{"sku": "VASE-NUL", "price": "10.00", "options": {"size": f"M{NUL}"}}])),
        ("options", product_body(variants=[{"sku": "VASE-NUL", "price": "10.00", "options": {f"si{NUL}ze": "M"}}])),
    ],
)
def test_a_product_with_a_nul_is_refused(client: TestClient, shop: Shop, field: str, body: dict[str, object]) -> None:
    assert_refused(client.post(f"{V1}/products", json=body, headers=shop.owner), field)


def test_nul_in_filters_edits_orders_stock_and_logins_is_refused(client: TestClient, shop: Shop) -> None:
    vase = add_product(client, shop, "Glass Vase", {"VASE-GLS": "35.00"}, stock=3)
    variant_id = vase["variants"][0]["id"]
    order = place_order(client, shop, [(variant_id, 1)])
    second_factor = shop.owner | {"X-2FA-Code": "123456"}
    line = {"lines": [{"variant_id": variant_id, "quantity": 1}]}
    for field, response in [
        ("category", client.get(f"{V1}/products", params={"category": NUL}, headers=shop.owner)),
        ("name", client.patch(f"{V1}/products/{vase['id']}", json={"name": NUL}, headers=shop.owner)),
        ("note", client.post(f"{V1}/orders", json=line | {"note": NUL}, headers=shop.owner)),
        ("delivery_address", client.post(f"{V1}/orders", json=line | {"delivery_address": NUL}, headers=shop.owner)),
        ("note", client.patch(f"{V1}/orders/{order['id']}", json={"note": NUL}, headers=second_factor)),
        (
            "reason",
            client.post(
                f"{V1}/inventory/adjustments",
                json={"variant_id": variant_id, "type": "adjustment", "quantity": 1, "reason": NUL},
                headers=shop.owner,
            ),
        ),
        ("client_id", client.post(f"{V1}/auth/login", json={"client_id": NUL, "username": "owner", "password": "x"})),
    ]:
        assert_refused(response, field)
    # A search term is only words to look for: a NUL there is treated as a space.
    assert client.get(f"{V1}/products", params={"search": f"glass{NUL}"}, headers=shop.owner).json()["total"] == 1
