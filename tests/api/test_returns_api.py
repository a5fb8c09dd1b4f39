"""REST returns: refunds and exchanges on delivered orders, quantities, roles and tenant isolation."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, delivered_order, ok, place_order, return_items

D = Decimal


def on_hand(client: TestClient, shop: Shop, product: dict, sku: str) -> int:
    fresh = ok(client.get(f"{V1}/products/{product['id']}", headers=shop.owner))
    return next(v["on_hand"] for v in fresh["variants"] if v["sku"] == sku)


def test_staff_take_a_return_that_refunds_the_net_share_and_restocks(client: TestClient, shop: Shop) -> None:
    tee = add_product(client, shop, "Linen Tee", {"TEE-LINEN-M": "25.00"}, stock=10)
    order = delivered_order(client, shop, [(tee["variants"][0]["id"], 4)], discount_pct="10")
    line_id = order["lines"][0]["id"]
    response = client.post(
        f"{V1}/returns",
        json={"order_id": order["id"], "items": [{"order_line_id": line_id, "quantity": 2}], "reason": "too small"},
        headers=shop.staff,
    )
    created = ok(response, 201)
    assert created["kind"] == "return"
    assert created["reason"] == "too small"
    assert D(created["refund_amount"]) == D("45.00")  # half of 100 − 10 % discount
    assert created["lines"][0]["condition"] == "resellable"
    assert on_hand(client, shop, tee, "TEE-LINEN-M") == 8
    order_now = ok(client.get(f"{V1}/orders/{order['id']}", headers=shop.staff))
    assert order_now["status"] == "partially_returned"
    assert order_now["lines"][0]["returned_quantity"] == 2
    assert ok(client.get(f"{V1}/returns/{created['id']}", headers=shop.staff)) == created


def test_a_damaged_return_is_refunded_but_not_put_back_on_the_shelf(client: TestClient, shop: Shop) -> None:
    mug = add_product(client, shop, "Stoneware Mug", {"MUG-STONE": "12.00"}, stock=3)
    order = delivered_order(client, shop, [(mug["variants"][0]["id"], 1)])
    item = {"order_line_id": order["lines"][0]["id"], "quantity": 1, "condition": "damaged"}
    created = return_items(client, shop, order, [item], reason="cracked")
    assert D(created["refund_amount"]) == D("12.00")
    assert on_hand(client, shop, mug, "MUG-STONE") == 2
    assert ok(client.get(f"{V1}/orders/{order['id']}", headers=shop.owner))["status"] == "returned"


def test_an_exchange_swaps_for_another_size_and_charges_the_difference(client: TestClient, shop: Shop) -> None:
    hoodie = add_product(client, shop, "Hoodie", {"HOODIE-M": "40.00", "HOODIE-XL": "45.00"}, stock=5)
    medium, xl = (v["id"] for v in sorted(hoodie["variants"], key=lambda v: v["sku"]))
    order = delivered_order(client, shop, [(medium, 1)])
    item = {"order_line_id": order["lines"][0]["id"], "quantity": 1, "replacement_variant_id": xl}
    created = return_items(client, shop, order, [item])
    assert created["kind"] == "exchange"
    assert (D(created["refund_amount"]), D(created["charge_amount"])) == (D("0.00"), D("5.00"))
    assert created["lines"][0]["replacement_variant_id"] == xl
    assert (on_hand(client, shop, hoodie, "HOODIE-M"), on_hand(client, shop, hoodie, "HOODIE-XL")) == (5, 4)


def test_returning_more_than_was_sold_is_refused_and_changes_nothing(client: TestClient, shop: Shop) -> None:
    cap = add_product(client, shop, "Cap", {"CAP-BLK": "15.00"}, stock=5)
    order = delivered_order(client, shop, [(cap["variants"][0]["id"], 2)])
    line_id = order["lines"][0]["id"]
    too_many = client.post(
        f"{V1}/returns",
        json={"order_id": order["id"], "items": [{"order_line_id": line_id, "quantity": 3}]},
        headers=shop.owner,
    )
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"
    assert "only 2 × CAP-BLK" in too_many.json()["detail"]
    return_items(client, shop, order, [{"order_line_id": line_id, "quantity": 2}])
    again = client.post(
        f"{V1}/returns",
        json={"order_id": order["id"], "items": [{"order_line_id": line_id, "quantity": 1}]},
        headers=shop.owner,
    )
    assert again.status_code == 409  # the order is fully returned: no further returns
    assert on_hand(client, shop, cap, "CAP-BLK") == 5
    assert ok(client.get(f"{V1}/returns", params={"order_id": order["id"]}, headers=shop.owner))["total"] == 1


def test_an_order_that_was_not_delivered_cannot_take_a_return(client: TestClient, shop: Shop) -> None:
    scarf = add_product(client, shop, "Scarf", {"SCARF-RED": "18.00"}, stock=5)
    order = place_order(client, shop, [(scarf["variants"][0]["id"], 1)])
    response = client.post(
        f"{V1}/returns",
        json={"order_id": order["id"], "items": [{"order_line_id": order["lines"][0]["id"], "quantity": 1}]},
        headers=shop.owner,
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/invalid_transition"


def test_a_request_cannot_set_the_refund_or_send_nonsense(client: TestClient, shop: Shop) -> None:
    sock = add_product(client, shop, "Socks", {"SOCK-GRY": "6.00"}, stock=5)
    order = delivered_order(client, shop, [(sock["variants"][0]["id"], 2)])
    item = {"order_line_id": order["lines"][0]["id"], "quantity": 1}
    for body in (
        {"order_id": order["id"], "items": [item], "refund_amount": "99.00"},
        {"order_id": order["id"], "items": [item | {"condition": "like new"}]},
        {"order_id": order["id"], "items": [item | {"quantity": 0}]},
        {"order_id": order["id"], "items": []},
        {"order_id": order["id"], "items": [item], "reason": "NUL \x00 cannot be stored"},
    ):
        response = client.post(f"{V1}/returns", json=body, headers=shop.owner)
        assert response.status_code == 422, body
    assert ok(client.get(f"{V1}/returns", headers=shop.owner))["total"] == 0


def test_returns_are_listed_newest_first_and_paginated(client: TestClient, shop: Shop) -> None:
    belt = add_product(client, shop, "Belt", {"BELT-BRN": "30.00"}, stock=5)
    order = delivered_order(client, shop, [(belt["variants"][0]["id"], 3)])
    line_id = order["lines"][0]["id"]
    first = return_items(client, shop, order, [{"order_line_id": line_id, "quantity": 1}])
    second = return_items(client, shop, order, [{"order_line_id": line_id, "quantity": 1}])
    page = ok(client.get(f"{V1}/returns", params={"limit": 1}, headers=shop.staff))
    assert (page["total"], [r["id"] for r in page["items"]]) == (2, [second["id"]])
    rest = ok(client.get(f"{V1}/returns", params={"limit": 1, "offset": 1}, headers=shop.staff))
    assert [r["id"] for r in rest["items"]] == [first["id"]]
    assert client.get(f"{V1}/returns", params={"limit": 101}, headers=shop.staff).status_code == 422


def test_every_kind_of_other_tenants_id_is_not_found(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    theirs = add_product(client, other_shop, "Secret Jacket", {"JACKET-SECRET": "99.00"}, stock=5)
    their_variant = theirs["variants"][0]["id"]
    their_order = delivered_order(client, other_shop, [(their_variant, 2)])
    their_line = their_order["lines"][0]["id"]
    their_return = return_items(client, other_shop, their_order, [{"order_line_id": their_line, "quantity": 1}])
    ours = add_product(client, shop, "Jacket", {"JACKET-M": "80.00", "JACKET-L": "80.00"}, stock=5)
    our_order = delivered_order(client, shop, [(ours["variants"][0]["id"], 1)])
    our_line = our_order["lines"][0]["id"]

    attempts = [
        client.get(f"{V1}/returns/{their_return['id']}", headers=shop.owner),
        client.post(
            f"{V1}/returns",
            json={"order_id": their_order["id"], "items": [{"order_line_id": their_line, "quantity": 1}]},
            headers=shop.owner,
        ),
        client.post(
            f"{V1}/returns",
            json={"order_id": our_order["id"], "items": [{"order_line_id": their_line, "quantity": 1}]},
            headers=shop.owner,
        ),
        client.post(
            f"{V1}/returns",
            json={
                "order_id": our_order["id"],
                "items": [{"order_line_id": our_line, "quantity": 1, "replacement_variant_id": their_variant}],
            },
            headers=shop.owner,
        ),
        client.get(f"{V1}/orders/{their_order['id']}", headers=shop.owner),
        client.get(f"{V1}/products/{theirs['id']}", headers=shop.owner),
        client.patch(f"{V1}/products/{theirs['id']}", json={"name": "Mine now"}, headers=shop.owner),
        client.delete(f"{V1}/products/{theirs['id']}", headers=shop.owner),
        client.post(
            f"{V1}/inventory/adjustments",
            json={"variant_id": their_variant, "type": "adjustment", "quantity": -5, "reason": "gone"},
            headers=shop.owner,
        ),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert not any("JACKET-SECRET" in r.text or "Secret Jacket" in r.text for r in attempts)
    filtered = ok(client.get(f"{V1}/returns", params={"order_id": their_order["id"]}, headers=shop.owner))
    assert (filtered["total"], filtered["items"]) == (0, [])

    untouched = ok(client.get(f"{V1}/products/{theirs['id']}", headers=other_shop.owner))
    assert (untouched["name"], untouched["variants"][0]["on_hand"]) == ("Secret Jacket", 4)
    assert ok(client.get(f"{V1}/returns", headers=other_shop.owner))["total"] == 1


def test_returns_need_a_token(client: TestClient) -> None:
    assert client.get(f"{V1}/returns").status_code == 401
    assert client.post(f"{V1}/returns", json={}).status_code == 401
