"""Shop flows driven through the REST API (no database shortcuts), shared by the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Shop

Json = dict[str, Any]
V1 = "/api/v1"


def ok(response: Any, status: int = 200) -> Json:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, response.text
    return response.json()


def add_product(
    client: TestClient,
    shop: Shop,
    name: str,
    variants: dict[str, str],
    *,
    stock: int = 10,
    cost: str = "11.50",
    category: str = "apparel",
) -> Json:
    """A product with `variants` ({sku: price}), `stock` of each received at `cost`, as the owner sees it."""
    sized = len(variants) > 1  # several variants need options: the SKU's last part is the size
    body = {
        "name": name,
        "category": category,
        "variants": [
            {"sku": sku, "price": price, "options": {"size": sku.rsplit("-", 1)[-1]} if sized else {}}
            for sku, price in variants.items()
        ],
    }
    product = ok(client.post(f"{V1}/products", json=body, headers=shop.owner), 201)
    for variant in product["variants"]:
        receipt = {"variant_id": variant["id"], "type": "receipt", "quantity": stock, "unit_cost": cost}
        ok(client.post(f"{V1}/inventory/adjustments", json=receipt, headers=shop.owner), 201)
    return ok(client.get(f"{V1}/products/{product['id']}", headers=shop.owner))


def place_order(
    client: TestClient, shop: Shop, lines: list[tuple[str, int]], *, discount_pct: str = "0", paid: bool = True
) -> Json:
    """A pending order for `lines` of (variant id, quantity), as the owner sees it."""
    body = {
        "lines": [{"variant_id": variant_id, "quantity": quantity} for variant_id, quantity in lines],
        "discount_pct": discount_pct,
        "payment_status": "paid" if paid else "unpaid",
    }
    return ok(client.post(f"{V1}/orders", json=body, headers=shop.owner), 201)


def delivered_order(client: TestClient, shop: Shop, lines: list[tuple[str, int]], *, discount_pct: str = "0") -> Json:
    """An order placed, confirmed and delivered (so it takes returns)."""
    order = place_order(client, shop, lines, discount_pct=discount_pct)
    ok(client.post(f"{V1}/orders/{order['id']}/confirm", headers=shop.staff))
    return ok(client.post(f"{V1}/orders/{order['id']}/deliver", headers=shop.owner))


def return_items(client: TestClient, shop: Shop, order: Json, items: list[Json], reason: str = "") -> Json:
    """POST a return against `order` and insist it is created."""
    return ok(
        client.post(
            f"{V1}/returns", json={"order_id": order["id"], "items": items, "reason": reason}, headers=shop.owner
        ),
        201,
    )
