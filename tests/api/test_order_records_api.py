"""REST orders as shop records: for a customer and one of their addresses, found by number, customer,
dates and status together, cancelled with a reason (pending: no second factor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, Json, add_product, ok, place_order

ORDERS = f"{V1}/orders"


def customer_with_addresses(client: TestClient, shop: Shop, name: str, *lines: str) -> Json:
    body = {"name": name, "addresses": [{"line1": line} for line in lines]}
    return ok(client.post(f"{V1}/customers", json=body, headers=shop.staff), 201)


def order_for(client: TestClient, shop: Shop, variant: str, **fields: object) -> Json:
    body = {"lines": [{"variant_id": variant, "quantity": 1}]} | fields
    return ok(client.post(ORDERS, json=body, headers=shop.staff), 201)


def test_an_order_ships_to_the_chosen_the_default_or_a_one_off_address(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Mug", {"MUG-ADDR": "9.00"})["variants"][0]["id"]
    ada = customer_with_addresses(client, shop, "Ada", "5 Admiralty Way", "1 Marina")
    home, office = ada["addresses"]
    default = order_for(client, shop, variant, customer_id=ada["id"])
    assert (default["delivery_address"], default["delivery_address_id"]) == ("5 Admiralty Way", home["id"])
    chosen = order_for(client, shop, variant, customer_id=ada["id"], delivery_address_id=office["id"])
    assert (chosen["delivery_address"], chosen["delivery_address_id"]) == ("1 Marina", office["id"])
    one_off = order_for(client, shop, variant, customer_id=ada["id"], delivery_address="Gate 2, Eko Hotel")
    assert (one_off["delivery_address"], one_off["delivery_address_id"]) == ("Gate 2, Eko Hotel", None)
    ok(
        client.patch(
            f"{V1}/customers/{ada['id']}/addresses/{office['id']}", json={"line1": "2 Marina"}, headers=shop.staff
        )
    )
    assert ok(client.get(f"{ORDERS}/{chosen['id']}", headers=shop.staff))["delivery_address"] == "1 Marina"


def test_an_address_must_be_the_customers_own_and_not_a_second_address(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Mug", {"MUG-ADDR2": "9.00"})["variants"][0]["id"]
    ada = customer_with_addresses(client, shop, "Ada", "5 Admiralty Way")
    bola = customer_with_addresses(client, shop, "Bola", "9 Broad Street")
    lines = [{"variant_id": variant, "quantity": 1}]
    foreign = {"lines": lines, "customer_id": ada["id"], "delivery_address_id": bola["addresses"][0]["id"]}
    assert client.post(ORDERS, json=foreign, headers=shop.staff).status_code == 404
    both = foreign | {"delivery_address_id": ada["addresses"][0]["id"], "delivery_address": "somewhere"}
    response = client.post(ORDERS, json=both, headers=shop.staff)
    assert response.status_code == 422
    assert "not both" in response.json()["detail"]
    orphan = {"lines": lines, "delivery_address_id": ada["addresses"][0]["id"]}
    assert "customer_id" in client.post(ORDERS, json=orphan, headers=shop.staff).json()["detail"]


def test_orders_are_found_by_number_customer_status_and_dates_together(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Mug", {"MUG-FIND": "9.00"})["variants"][0]["id"]
    ada = customer_with_addresses(client, shop, "Ada")
    first = order_for(client, shop, variant, customer_id=ada["id"])
    second = order_for(client, shop, variant, customer_id=ada["id"])
    order_for(client, shop, variant)
    ok(client.post(f"{ORDERS}/{second['id']}/confirm", headers=shop.staff))

    def found(**params: object) -> list[int]:
        return [o["number"] for o in ok(client.get(ORDERS, params=params, headers=shop.staff))["items"]]

    assert found(number=first["number"]) == [first["number"]]
    assert found(number=999_999) == []
    assert found(customer_id=ada["id"]) == [second["number"], first["number"]]
    assert found(customer_id=ada["id"], status="confirmed") == [second["number"]]
    now = datetime.now(UTC)
    assert len(found(since=(now - timedelta(hours=1)).isoformat(), until=(now + timedelta(hours=1)).isoformat())) == 3
    assert found(since=(now + timedelta(hours=1)).isoformat()) == []
    naive = client.get(ORDERS, params={"since": "2026-01-01T00:00:00"}, headers=shop.staff)
    assert naive.status_code == 422
    assert client.get(ORDERS, params={"number": "abc"}, headers=shop.staff).status_code == 422


def test_a_pending_order_is_cancelled_with_a_reason_and_no_second_factor(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Mug", {"MUG-CXL": "9.00"}, stock=2)["variants"][0]["id"]
    by_body = place_order(client, shop, [(variant, 1)])
    by_query = place_order(client, shop, [(variant, 1)])
    cancelled = ok(
        client.request(
            "DELETE", f"{ORDERS}/{by_body['id']}", json={"reason": "customer changed mind"}, headers=shop.staff
        )
    )
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "customer changed mind")
    queried = ok(client.delete(f"{ORDERS}/{by_query['id']}", params={"reason": "duplicate"}, headers=shop.staff))
    assert queried["cancel_reason"] == "duplicate"
    assert ok(client.get(f"{ORDERS}/{by_query['id']}", headers=shop.staff))["cancel_reason"] == "duplicate"
    log = ok(client.get(f"{V1}/sessions/logs", params={"action": "order_cancelled"}, headers=shop.owner))
    assert sorted(e["detail"]["reason"] for e in log["items"]) == ["customer changed mind", "duplicate"]
    stock = ok(client.get(f"{V1}/products", headers=shop.staff))["items"][0]["variants"][0]["on_hand"]
    assert stock == 2


def test_a_confirmed_order_is_cancelled_by_the_owner_with_the_second_factor(client: TestClient, shop: Shop) -> None:
    variant = add_product(client, shop, "Mug", {"MUG-CXL2": "9.00"})["variants"][0]["id"]
    order = place_order(client, shop, [(variant, 1)])
    ok(client.post(f"{ORDERS}/{order['id']}/confirm", headers=shop.staff))
    asked = client.delete(f"{ORDERS}/{order['id']}", params={"reason": "late"}, headers=shop.staff)
    assert (asked.status_code, asked.json()["kind"]) == (202, "cancel_confirmed_order")  # staff ask the owner
    refused = client.delete(f"{ORDERS}/{order['id']}", params={"reason": "late"}, headers=shop.owner)
    assert refused.status_code == 403
    assert "X-2FA-Code" in refused.json()["detail"]
    wrong = client.delete(f"{ORDERS}/{order['id']}", headers=shop.owner | {"X-2FA-Code": "000000"})
    assert wrong.status_code == 403
    done = ok(
        client.delete(
            f"{ORDERS}/{order['id']}", params={"reason": "late"}, headers=shop.owner | {"X-2FA-Code": "123456"}
        )
    )
    assert (done["status"], done["cancel_reason"]) == ("cancelled", "late")
    too_long = client.delete(f"{ORDERS}/{order['id']}", params={"reason": "x" * 501}, headers=shop.owner)
    assert too_long.status_code == 422


def test_staff_take_an_order_for_a_caller_by_phone_found_or_added_in_one_step(client: TestClient, shop: Shop) -> None:
    ok(client.patch(f"{V1}/business", json={"country_calling_code": "234"}, headers=shop.owner))
    variant = add_product(client, shop, "Mug", {"MUG-CALL": "9.00"})["variants"][0]["id"]
    lines = [{"variant_id": variant, "quantity": 1}]
    first = order_for(client, shop, variant, customer={"name": "Chidi", "phone": "0802 000 1111"})
    again = order_for(client, shop, variant, customer={"name": "Chidi O.", "phone": "+2348020001111"})
    assert first["customer_id"] == again["customer_id"] is not None
    found = ok(client.get(f"{V1}/customers", params={"q": "08020001111"}, headers=shop.staff))
    assert [(c["id"], c["name"]) for c in found["items"]] == [(first["customer_id"], "Chidi")]
    both = {"lines": lines, "customer_id": first["customer_id"], "customer": {"name": "X", "phone": "+2348020001111"}}
    response = client.post(ORDERS, json=both, headers=shop.staff)
    assert response.status_code == 422
    assert "not both" in response.json()["detail"]
    out_of_stock = {
        "lines": [{"variant_id": variant, "quantity": 99}],
        "customer": {"name": "Dayo", "phone": "0803 555 0000"},
    }
    assert client.post(ORDERS, json=out_of_stock, headers=shop.staff).status_code == 409
    assert ok(client.get(f"{V1}/customers", params={"q": "Dayo"}, headers=shop.staff))["total"] == 0  # rolled back
