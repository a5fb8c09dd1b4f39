"""REST store credit: owners grant and deduct, staff take it as payment, returns refund to it;
roles, tenants and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, Json, add_product, ok

CUSTOMERS = f"{V1}/customers"
D = Decimal


def credit_url(customer: Json) -> str:
    return f"{CUSTOMERS}/{customer['id']}/store-credit"


def customer_with_credit(client: TestClient, shop: Shop, amount: str = "50.00") -> Json:
    customer = ok(client.post(CUSTOMERS, json={"name": "Ada Obi"}, headers=shop.staff), 201)
    ok(client.post(credit_url(customer), json={"amount": amount, "reason": "late delivery"}, headers=shop.owner), 201)
    return customer


def test_owner_grants_credit_staff_spend_it_on_an_order_and_a_return_refunds_it(client: TestClient, shop: Shop) -> None:
    customer = customer_with_credit(client, shop, "50.00")
    mug = add_product(client, shop, "Mug", {"MUG-01": "30.00"})["variants"][0]
    body = {
        "lines": [{"variant_id": mug["id"], "quantity": 2}],
        "customer_id": customer["id"],
        "store_credit_amount": "40.00",
        "payment_status": "paid",
    }
    order = ok(client.post(f"{V1}/orders", json=body, headers=shop.staff), 201)
    assert (D(order["total"]), D(order["store_credit_amount"])) == (D("60.00"), D("40.00"))
    seen = ok(client.get(credit_url(customer), headers=shop.staff))
    assert D(seen["balance"]) == D("10.00")
    assert [(m["kind"], D(m["amount"])) for m in seen["items"]] == [("order_payment", D("-40")), ("grant", D("50"))]
    assert D(ok(client.get(f"{CUSTOMERS}/{customer['id']}", headers=shop.staff))["store_credit_balance"]) == D("10")

    ok(client.post(f"{V1}/orders/{order['id']}/confirm", headers=shop.staff))
    ok(client.post(f"{V1}/orders/{order['id']}/deliver", headers=shop.staff))
    line = order["lines"][0]["id"]
    refund = {
        "order_id": order["id"],
        "items": [{"order_line_id": line, "quantity": 1}],
        "refund_method": "store_credit",
    }
    record = ok(client.post(f"{V1}/returns", json=refund, headers=shop.staff), 201)
    assert (record["refund_method"], D(record["store_credit_amount"])) == ("store_credit", D("30.00"))
    page = ok(client.get(credit_url(customer), params={"limit": 1}, headers=shop.staff))
    assert (D(page["balance"]), page["total"], len(page["items"])) == (D("40.00"), 3, 1)
    assert page["items"][0]["reference_id"] == record["id"]
    books = ok(client.get(f"{V1}/accounting/trial-balance", headers=shop.owner))
    owed = {line["account"]: (D(line["debit"]), D(line["credit"])) for line in books["accounts"]}
    assert owed["store_credit"] == (D("0"), D("40.00"))  # the liability equals the customer's balance
    assert D(books["total_debit"]) == D(books["total_credit"])
    assert client.get(f"{V1}/accounting/trial-balance", headers=shop.staff).status_code == 403


def test_a_deduction_above_the_balance_is_a_422_problem_and_changes_nothing(client: TestClient, shop: Shop) -> None:
    customer = customer_with_credit(client, shop, "20.00")
    refused = client.post(credit_url(customer), json={"amount": "-20.01", "reason": "typo"}, headers=shop.owner)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "20.00 in store credit" in refused.json()["detail"]
    after = ok(client.get(credit_url(customer), headers=shop.owner))
    assert (D(after["balance"]), after["total"]) == (D("20.00"), 1)


def test_spending_more_credit_than_the_customer_has_is_422(client: TestClient, shop: Shop) -> None:
    customer = customer_with_credit(client, shop, "10.00")
    product = add_product(client, shop, "Mug", {"MUG-02": "30.00"}, stock=3)
    mug = product["variants"][0]
    body = {
        "lines": [{"variant_id": mug["id"], "quantity": 1}],
        "customer_id": customer["id"],
        "store_credit_amount": "15",
    }
    refused = client.post(f"{V1}/orders", json=body, headers=shop.staff)
    assert refused.status_code == 422
    assert "10.00 in store credit" in refused.json()["detail"]
    assert ok(client.get(f"{V1}/products/{product['id']}", headers=shop.owner))["variants"][0]["on_hand"] == 3


def test_staff_cannot_grant_credit(client: TestClient, shop: Shop) -> None:
    customer = customer_with_credit(client, shop, "5.00")
    refused = client.post(credit_url(customer), json={"amount": "100", "reason": "my friend"}, headers=shop.staff)
    assert refused.status_code == 403
    assert D(ok(client.get(credit_url(customer), headers=shop.staff))["balance"]) == D("5.00")


def test_another_shops_customer_is_not_found(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    customer = customer_with_credit(client, shop, "5.00")
    assert client.get(credit_url(customer), headers=other_shop.owner).status_code == 404
    grant = client.post(credit_url(customer), json={"amount": "5", "reason": "x"}, headers=other_shop.owner)
    assert grant.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0", "reason": "nothing"},
        {"amount": "1.001", "reason": "fractions of a cent"},
        {"amount": "10"},
        {"amount": "10", "reason": ""},
        {"amount": "ten", "reason": "words"},
        {"amount": "10", "reason": "ok", "kind": "grant"},
    ],
)
def test_bad_adjustments_are_4xx_problems(client: TestClient, shop: Shop, body: Json) -> None:
    customer = customer_with_credit(client, shop, "5.00")
    refused = client.post(credit_url(customer), json=body, headers=shop.owner)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert D(ok(client.get(credit_url(customer), headers=shop.owner))["balance"]) == D("5.00")


def test_an_unknown_refund_method_or_credit_without_a_customer_is_422(client: TestClient, shop: Shop) -> None:
    mug = add_product(client, shop, "Mug", {"MUG-03": "30.00"})["variants"][0]
    body = {"lines": [{"variant_id": mug["id"], "quantity": 1}], "payment_status": "paid"}
    order = ok(client.post(f"{V1}/orders", json=body, headers=shop.owner), 201)
    ok(client.post(f"{V1}/orders/{order['id']}/confirm", headers=shop.staff))
    ok(client.post(f"{V1}/orders/{order['id']}/deliver", headers=shop.staff))
    items = [{"order_line_id": order["lines"][0]["id"], "quantity": 1}]
    for method, status in (("gift_card", 422), ("store_credit", 422)):  # no customer to hold the credit
        response = client.post(
            f"{V1}/returns", json={"order_id": order["id"], "items": items, "refund_method": method}, headers=shop.staff
        )
        assert response.status_code == status, method
        assert response.headers["content-type"].startswith("application/problem+json")
