"""REST return requests: open → goods received (restocked or written off, refund owed) → refund paid,
or rejected; units cannot be asked for twice; roles, tenants and bad input."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, Json, add_product, delivered_order, ok, place_order

REQUESTS = f"{V1}/return-requests"
D = Decimal


def delivered_totes(client: TestClient, shop: Shop, sku: str, quantity: int = 4) -> tuple[Json, str]:
    """A paid, delivered order for `quantity` totes at 25.00 (cost 10.00), and the tote's variant id."""
    variant = add_product(client, shop, "Tote", {sku: "25.00"}, cost="10.00")["variants"][0]["id"]
    return delivered_order(client, shop, [(variant, quantity)]), variant


def on_hand(client: TestClient, shop: Shop, variant: str) -> int:
    products = ok(client.get(f"{V1}/products", params={"limit": 100}, headers=shop.owner))["items"]
    return next(v["on_hand"] for p in products for v in p["variants"] if v["id"] == variant)


def journal_amounts(client: TestClient, shop: Shop, kind: str) -> dict[str, Decimal]:
    entries = ok(client.get(f"{V1}/accounting/journal-entries", params={"kind": kind}, headers=shop.owner))["items"]
    amounts: dict[str, Decimal] = {}
    for entry in entries:
        for line in entry["lines"]:
            amounts[line["account"]] = amounts.get(line["account"], D(0)) + D(line["debit"]) - D(line["credit"])
    return amounts


def test_a_request_moves_nothing_until_the_goods_are_received_then_the_refund_is_paid(
    client: TestClient, shop: Shop
) -> None:
    order, variant = delivered_totes(client, shop, "TOTE-RQ1")
    line = order["lines"][0]["id"]
    request = ok(
        client.post(
            REQUESTS,
            json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 2}], "reason": "too small"},
            headers=shop.staff,
        ),
        201,
    )
    assert (request["status"], request["return_id"], request["items"]) == (
        "open",
        None,
        [{"order_line_id": line, "quantity": 2}],
    )
    assert on_hand(client, shop, variant) == 6
    received = ok(
        client.post(
            f"{REQUESTS}/{request['id']}/receive",
            json={"damaged": [{"order_line_id": line, "quantity": 1}]},
            headers=shop.staff,
        )
    )
    assert (received["status"], D(received["refund_amount"])) == ("received", D("50.00"))
    assert on_hand(client, shop, variant) == 7  # one restocked, one written off
    returned = ok(client.get(f"{V1}/returns/{received['return_id']}", headers=shop.staff))
    assert sorted(rl["condition"] for rl in returned["lines"]) == ["damaged", "resellable"]
    assert journal_amounts(client, shop, "return")["receivables"] == D("-50.00")  # owed to the customer
    assert "refund_payment" not in str(ok(client.get(f"{V1}/sessions/logs", headers=shop.owner)))

    refunded = ok(client.post(f"{REQUESTS}/{request['id']}/refund", headers=shop.staff))
    assert refunded["status"] == "refunded"
    assert refunded["refunded_at"] is not None
    paid_out = journal_amounts(client, shop, "refund_payment")
    assert (paid_out["receivables"], paid_out["cash"]) == (D("50.00"), D("-50.00"))
    log = ok(client.get(f"{V1}/sessions/logs", params={"action": "refund_paid"}, headers=shop.owner))["items"]
    assert [(e["target_id"], e["detail"]["amount"]) for e in log] == [(request["id"], "50.00")]
    again = client.post(f"{REQUESTS}/{request['id']}/refund", headers=shop.staff)
    assert again.status_code == 409
    assert "refunded" in again.json()["detail"]


def test_units_held_by_an_open_request_cannot_be_asked_for_again_until_it_is_rejected(
    client: TestClient, shop: Shop
) -> None:
    order, _ = delivered_totes(client, shop, "TOTE-RQ2")
    line = order["lines"][0]["id"]
    body = {"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 3}]}
    first = ok(client.post(REQUESTS, json=body, headers=shop.staff), 201)
    twice = client.post(REQUESTS, json=body | {"items": [{"order_line_id": line, "quantity": 2}]}, headers=shop.staff)
    assert twice.status_code == 422
    assert "can still come back" in twice.json()["detail"]
    assert client.post(f"{REQUESTS}/{first['id']}/reject", json={"note": ""}, headers=shop.staff).status_code == 422
    rejected = ok(client.post(f"{REQUESTS}/{first['id']}/reject", json={"note": "worn"}, headers=shop.staff))
    assert (rejected["status"], rejected["rejection_note"]) == ("rejected", "worn")
    ok(client.post(REQUESTS, json=body | {"items": [{"order_line_id": line, "quantity": 2}]}, headers=shop.staff), 201)
    assert client.post(f"{REQUESTS}/{first['id']}/receive", json={}, headers=shop.staff).status_code == 409
    open_ones = ok(client.get(REQUESTS, params={"status": "open"}, headers=shop.staff))
    assert open_ones["total"] == 1


def test_an_unpaid_orders_request_is_settled_when_the_goods_arrive(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Tote", {"TOTE-RQ3": "25.00"})["variants"][0]["id"]
    order = place_order(client, shop, [(variant, 2)], paid=False)
    ok(client.post(f"{V1}/orders/{order['id']}/confirm", headers=shop.staff))
    ok(client.post(f"{V1}/orders/{order['id']}/deliver", headers=shop.staff))
    line = order["lines"][0]["id"]
    request = ok(
        client.post(
            REQUESTS,
            json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 1}]},
            headers=shop.staff,
        ),
        201,
    )
    received = ok(client.post(f"{REQUESTS}/{request['id']}/receive", json={}, headers=shop.staff))
    assert (received["status"], received["refunded_at"] is not None) == ("refunded", True)


def test_only_delivered_orders_and_their_own_lines_take_requests(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Tote", {"TOTE-RQ4": "25.00"})["variants"][0]["id"]
    pending = place_order(client, shop, [(variant, 1)])
    line = pending["lines"][0]["id"]
    not_delivered = client.post(
        REQUESTS,
        json={"order_id": pending["id"], "items": [{"order_line_id": line, "quantity": 1}]},
        headers=shop.staff,
    )
    assert not_delivered.status_code == 409
    order, _ = delivered_totes(client, shop, "TOTE-RQ5")
    foreign_line = client.post(
        REQUESTS, json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 1}]}, headers=shop.staff
    )
    assert foreign_line.status_code == 404
    request = ok(
        client.post(
            REQUESTS,
            json={"order_id": order["id"], "items": [{"order_line_id": order["lines"][0]["id"], "quantity": 1}]},
            headers=shop.staff,
        ),
        201,
    )
    too_damaged = client.post(
        f"{REQUESTS}/{request['id']}/receive",
        json={"damaged": [{"order_line_id": order["lines"][0]["id"], "quantity": 2}]},
        headers=shop.staff,
    )
    assert too_damaged.status_code == 422
    assert client.post(REQUESTS, json={"order_id": order["id"], "items": []}, headers=shop.staff).status_code == 422


def test_another_shops_requests_are_not_found(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    order, _ = delivered_totes(client, shop, "TOTE-RQ6")
    line = order["lines"][0]["id"]
    request = ok(
        client.post(
            REQUESTS,
            json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 1}]},
            headers=shop.staff,
        ),
        201,
    )
    assert client.get(f"{REQUESTS}/{request['id']}", headers=other_shop.owner).status_code == 404
    assert client.post(f"{REQUESTS}/{request['id']}/receive", json={}, headers=other_shop.owner).status_code == 404
    stolen = client.post(
        REQUESTS,
        json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 1}]},
        headers=other_shop.owner,
    )
    assert stolen.status_code == 404
    assert ok(client.get(REQUESTS, headers=other_shop.owner))["total"] == 0
    assert ok(client.get(f"{REQUESTS}/{request['id']}", headers=shop.staff))["status"] == "open"


def test_units_returned_at_the_counter_first_make_the_request_unreceivable(client: TestClient, shop: Shop) -> None:
    order, _ = delivered_totes(client, shop, "TOTE-RQ7")
    line = order["lines"][0]["id"]
    items = [{"order_line_id": line, "quantity": 2}]
    request = ok(client.post(REQUESTS, json={"order_id": order["id"], "items": items}, headers=shop.staff), 201)
    counter = [{"order_line_id": line, "quantity": 3}]
    ok(client.post(f"{V1}/returns", json={"order_id": order["id"], "items": counter}, headers=shop.staff), 201)
    refused = client.post(f"{REQUESTS}/{request['id']}/receive", json={}, headers=shop.staff)
    assert refused.status_code == 422
    assert "only 1" in refused.json()["detail"]
    assert ok(client.get(f"{REQUESTS}/{request['id']}", headers=shop.staff))["status"] == "open"
