"""Amounts beyond the money columns (NUMERIC(14, 2)) are refused with 422 naming the limit,
before anything is written, instead of a 500 "numeric field overflow"."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, ok

LARGEST = "999999999999.99"


def test_an_order_total_beyond_the_money_column_is_422_with_the_limit(client: TestClient, shop: Shop) -> None:
    yacht = add_product(client, shop, "Yacht", {"YACHT-1": LARGEST}, stock=2, cost="1.00")["variants"][0]["id"]
    body = {"lines": [{"variant_id": yacht, "quantity": 2}]}
    refused = client.post(f"{V1}/orders", json=body, headers=shop.owner)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert LARGEST in refused.json()["detail"]
    assert "1999999999999.98" in refused.json()["detail"]
    assert ok(client.get(f"{V1}/orders", headers=shop.owner))["total"] == 0
    one = ok(
        client.post(f"{V1}/orders", json={"lines": [{"variant_id": yacht, "quantity": 1}]}, headers=shop.owner), 201
    )
    assert one["total"] == LARGEST  # the limit itself still fits


def test_a_receipt_worth_more_than_the_money_column_is_422_with_the_limit(client: TestClient, shop: Shop) -> None:
    crate = add_product(client, shop, "Crate", {"CRATE-1": "10.00"}, stock=1, cost="1.00")["variants"][0]["id"]
    body = {"variant_id": crate, "type": "receipt", "quantity": 1_000_000, "unit_cost": "9999999.9999"}
    refused = client.post(f"{V1}/inventory/adjustments", json=body, headers=shop.owner)
    assert refused.status_code == 422, refused.text
    assert LARGEST in refused.json()["detail"]
    movements = ok(client.get(f"{V1}/inventory/movements", params={"variant_id": crate}, headers=shop.owner))
    assert movements["total"] == 1
