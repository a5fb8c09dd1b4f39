"""REST customers: E.164 phones shared with WhatsApp, addresses, search, soft delete, erasure, figures;
roles, tenants and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Role
from infra.db import make_session_factory, transaction
from tests.api.conftest import Shop
from tests.api.flows import V1, Json, add_product, ok

CUSTOMERS = f"{V1}/customers"
D = Decimal


@pytest.fixture
def lagos_shop(client: TestClient, shop: Shop) -> Shop:
    """Shop A with Nigeria's calling code, so local numbers complete to +234."""
    ok(client.patch(f"{V1}/business", json={"country_calling_code": "234"}, headers=shop.owner))
    return shop


def new_customer(client: TestClient, shop: Shop, **fields: object) -> Json:
    body: dict[str, object] = {"name": "Ada Obi", "phone": "0803 123 4567"} | fields
    return ok(client.post(CUSTOMERS, json=body, headers=shop.staff), 201)


def whatsapp_contact(app_engine: Engine, shop: Shop, wa_id: str, name: str) -> str:
    """The customer the WhatsApp channel finds or creates for `wa_id`."""
    ctx = Context(client_id=shop.client_id, role=Role.OWNER, channel=Channel.WHATSAPP)
    with transaction(make_session_factory(app_engine)) as session:
        return str(tenancy.get_or_create_customer(session, ctx, wa_id=wa_id, name=name).id)


def test_a_local_number_typed_by_staff_is_the_whatsapp_customer(
    client: TestClient, lagos_shop: Shop, app_engine: Engine
) -> None:
    ada = new_customer(client, lagos_shop)
    assert ada["phone"] == "+2348031234567"
    assert whatsapp_contact(app_engine, lagos_shop, "2348031234567", "Ada O.") == ada["id"]
    linked = ok(client.get(f"{CUSTOMERS}/{ada['id']}", headers=lagos_shop.staff))
    assert (linked["wa_id"], linked["name"]) == ("2348031234567", "Ada O.")
    for query in ("0803 123 4567", "2348031234567", "+234 803 123 4567", "ada", "123 4567"):
        found = ok(client.get(CUSTOMERS, params={"q": query}, headers=lagos_shop.staff))
        assert [c["id"] for c in found["items"]] == [ada["id"]], query


def test_a_whatsapp_customer_cannot_be_typed_in_twice(client: TestClient, lagos_shop: Shop, app_engine: Engine) -> None:
    existing = whatsapp_contact(app_engine, lagos_shop, "2348059998888", "Bola")
    duplicate = client.post(CUSTOMERS, json={"name": "Bola A.", "phone": "08059998888"}, headers=lagos_shop.staff)
    assert duplicate.status_code == 409
    assert duplicate.json()["customer_id"] == existing
    assert "+2348059998888" in duplicate.json()["detail"]


def test_a_local_number_without_the_shops_calling_code_is_refused_with_the_fix(client: TestClient, shop: Shop) -> None:
    response = client.post(CUSTOMERS, json={"name": "Ada", "phone": "0803 123 4567"}, headers=shop.staff)
    assert response.status_code == 422
    assert "country calling code" in response.json()["detail"]
    international = ok(
        client.post(CUSTOMERS, json={"name": "Ada", "phone": "+44 20 7946 0958"}, headers=shop.staff), 201
    )
    assert international["phone"] == "+442079460958"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": ""}, "name"),
        ({"name": "Ada", "email": "not-an-email"}, "email"),
        ({"name": "Ada", "phone": "call me"}, "phone"),
        ({"name": "Ada", "wa_id": "+2348031234567"}, "wa_id"),
        ({"name": "Ada", "addresses": [{"line1": ""}]}, "line1"),
        ({"name": "Ada", "addresses": [{"line1": "5 Admiralty Way", "country": "Nigeria"}]}, "country"),
        ({"name": "Ada", "client_id": "someone_else"}, "client_id"),
        ({"name": "Ada", "tags": ["vip"] * 21}, "tags"),
    ],
)
def test_bad_customer_input_is_a_422_naming_the_field(
    client: TestClient, lagos_shop: Shop, body: Json, where: str
) -> None:
    response = client.post(CUSTOMERS, json=body, headers=lagos_shop.staff)
    assert response.status_code == 422
    assert where in response.json()["detail"]


def test_addresses_keep_exactly_one_default(client: TestClient, lagos_shop: Shop) -> None:
    ada = new_customer(
        client,
        lagos_shop,
        addresses=[{"label": "home", "line1": "5 Admiralty Way", "city": "Lagos", "country": "ng"}],
    )
    home = ada["addresses"][0]
    assert (home["is_default"], home["country"]) == (True, "NG")
    url = f"{CUSTOMERS}/{ada['id']}/addresses"
    office = ok(
        client.post(url, json={"label": "office", "line1": "1 Marina", "is_default": True}, headers=lagos_shop.staff),
        201,
    )
    shown = ok(client.get(f"{CUSTOMERS}/{ada['id']}", headers=lagos_shop.staff))["addresses"]
    assert [(a["label"], a["is_default"]) for a in shown] == [("office", True), ("home", False)]
    ok(client.patch(f"{url}/{home['id']}", json={"is_default": True, "line2": "Flat 3"}, headers=lagos_shop.staff))
    assert client.delete(f"{url}/{home['id']}", headers=lagos_shop.staff).status_code == 204
    shown = ok(client.get(f"{CUSTOMERS}/{ada['id']}", headers=lagos_shop.staff))["addresses"]
    assert [(a["id"], a["is_default"]) for a in shown] == [(office["id"], True)]


def test_notes_tags_and_opt_out_are_kept_and_filter_the_list(client: TestClient, lagos_shop: Shop) -> None:
    ada = new_customer(client, lagos_shop, tags=[" VIP ", "vip", "wholesale"], email="Ada@Example.com")
    assert (ada["tags"], ada["email"]) == (["vip", "wholesale"], "ada@example.com")
    changed = ok(
        client.patch(
            f"{CUSTOMERS}/{ada['id']}",
            json={"notes": "prefers evening delivery", "marketing_opt_out": True, "email": None},
            headers=lagos_shop.staff,
        )
    )
    assert (changed["notes"], changed["marketing_opt_out"], changed["email"], changed["name"]) == (
        "prefers evening delivery",
        True,
        None,
        "Ada Obi",
    )
    new_customer(client, lagos_shop, name="Bola", phone="0805 000 0000")
    assert ok(client.get(CUSTOMERS, params={"tag": "VIP"}, headers=lagos_shop.staff))["total"] == 1
    opted_out = ok(client.get(CUSTOMERS, params={"marketing_opt_out": True}, headers=lagos_shop.staff))
    assert [c["name"] for c in opted_out["items"]] == ["Ada Obi"]


def test_a_deleted_customer_leaves_lists_and_orders_but_keeps_history(client: TestClient, lagos_shop: Shop) -> None:
    ada = new_customer(client, lagos_shop)
    deleted = ok(client.delete(f"{CUSTOMERS}/{ada['id']}", headers=lagos_shop.staff))
    assert deleted["deleted_at"] is not None
    assert ok(client.get(CUSTOMERS, headers=lagos_shop.staff))["total"] == 0
    assert ok(client.get(CUSTOMERS, params={"include_deleted": True}, headers=lagos_shop.staff))["total"] == 1
    variant = add_product(client, lagos_shop, "Tote", {"TOTE-1": "25.00"})["variants"][0]["id"]
    order = client.post(
        f"{V1}/orders",
        json={"lines": [{"variant_id": variant, "quantity": 1}], "customer_id": ada["id"]},
        headers=lagos_shop.staff,
    )
    assert order.status_code == 404
    again = new_customer(client, lagos_shop, name="Ada again")  # the phone is free for a live customer again
    assert again["phone"] == ada["phone"]


def test_erasure_anonymises_the_customer_and_keeps_the_books(client: TestClient, lagos_shop: Shop) -> None:
    ada = new_customer(client, lagos_shop, email="ada@example.com", addresses=[{"line1": "5 Admiralty Way"}])
    variant = add_product(client, lagos_shop, "Tote", {"TOTE-2": "25.00"})["variants"][0]["id"]
    order = ok(
        client.post(
            f"{V1}/orders",
            json={
                "lines": [{"variant_id": variant, "quantity": 2}],
                "customer_id": ada["id"],
                "payment_status": "paid",
            },
            headers=lagos_shop.staff,
        ),
        201,
    )
    assert order["delivery_address"] == "5 Admiralty Way"
    assert client.post(f"{CUSTOMERS}/{ada['id']}/erase", headers=lagos_shop.staff).status_code == 403
    erased = ok(client.post(f"{CUSTOMERS}/{ada['id']}/erase", headers=lagos_shop.owner))
    assert (erased["name"], erased["phone"], erased["email"], erased["wa_id"], erased["addresses"]) == (
        "",
        None,
        None,
        None,
        [],
    )
    assert erased["erased_at"] is not None
    kept = ok(client.get(f"{V1}/orders/{order['id']}", headers=lagos_shop.owner))
    assert (kept["customer_id"], kept["total"], kept["delivery_address"]) == (ada["id"], "50.00", None)
    figures = ok(client.get(f"{CUSTOMERS}/{ada['id']}/figures", headers=lagos_shop.owner))
    assert (figures["order_count"], D(figures["net_sales"])) == (1, D("50.00"))
    log = ok(client.get(f"{V1}/sessions/logs", params={"action": "customer_erased"}, headers=lagos_shop.owner))
    assert [e["target_id"] for e in log["items"]] == [ada["id"]]
    assert "Ada" not in str(log)
    assert "admiralty" not in str(log).lower()
    assert client.post(f"{CUSTOMERS}/{ada['id']}/erase", headers=lagos_shop.owner).status_code == 409


def test_a_customers_orders_returns_and_figures_show_profit_to_owners_only(
    client: TestClient, lagos_shop: Shop
) -> None:
    ada = new_customer(client, lagos_shop)
    variant = add_product(client, lagos_shop, "Tote", {"TOTE-3": "25.00"}, cost="10.00")["variants"][0]["id"]
    body = {"lines": [{"variant_id": variant, "quantity": 4}], "customer_id": ada["id"], "payment_status": "paid"}
    order = ok(client.post(f"{V1}/orders", json=body, headers=lagos_shop.staff), 201)
    ok(client.post(f"{V1}/orders/{order['id']}/confirm", headers=lagos_shop.staff))
    ok(client.post(f"{V1}/orders/{order['id']}/deliver", headers=lagos_shop.staff))
    line = order["lines"][0]["id"]
    ok(
        client.post(
            f"{V1}/returns",
            json={"order_id": order["id"], "items": [{"order_line_id": line, "quantity": 1}]},
            headers=lagos_shop.staff,
        ),
        201,
    )
    other = {"lines": [{"variant_id": variant, "quantity": 1}]}
    ok(client.post(f"{V1}/orders", json=other, headers=lagos_shop.staff), 201)  # someone else's order

    orders = ok(client.get(f"{CUSTOMERS}/{ada['id']}/orders", headers=lagos_shop.staff))
    assert [o["id"] for o in orders["items"]] == [order["id"]]
    returns = ok(client.get(f"{CUSTOMERS}/{ada['id']}/returns", headers=lagos_shop.staff))
    assert (returns["total"], D(returns["items"][0]["refund_amount"])) == (1, D("25.00"))
    as_staff = ok(client.get(f"{CUSTOMERS}/{ada['id']}/figures", headers=lagos_shop.staff))
    assert "gross_profit" not in as_staff
    assert (as_staff["order_count"], as_staff["return_count"]) == (1, 1)
    assert (D(as_staff["revenue"]), D(as_staff["refunds"]), D(as_staff["net_sales"])) == (D("100"), D("25"), D("75"))
    as_owner = ok(client.get(f"{CUSTOMERS}/{ada['id']}/figures", headers=lagos_shop.owner))
    assert D(as_owner["gross_profit"]) == D("45.00")  # 75 net sales − 3 kept × 10


def test_another_shops_customers_are_not_found(client: TestClient, lagos_shop: Shop, other_shop: Shop) -> None:
    ada = new_customer(client, lagos_shop, addresses=[{"line1": "5 Admiralty Way"}])
    address = ada["addresses"][0]["id"]
    for method, url in (
        ("GET", f"{CUSTOMERS}/{ada['id']}"),
        ("PATCH", f"{CUSTOMERS}/{ada['id']}"),
        ("DELETE", f"{CUSTOMERS}/{ada['id']}"),
        ("POST", f"{CUSTOMERS}/{ada['id']}/erase"),
        ("GET", f"{CUSTOMERS}/{ada['id']}/orders"),
        ("GET", f"{CUSTOMERS}/{ada['id']}/figures"),
        ("DELETE", f"{CUSTOMERS}/{ada['id']}/addresses/{address}"),
    ):
        response = client.request(method, url, json={} if method == "PATCH" else None, headers=other_shop.owner)
        assert response.status_code == 404, (method, url)
    assert ok(client.get(CUSTOMERS, params={"q": "Ada"}, headers=other_shop.owner))["total"] == 0
    assert ok(client.get(f"{CUSTOMERS}/{ada['id']}", headers=lagos_shop.staff))["addresses"][0]["id"] == address


def test_adding_a_whatsapp_id_keeps_the_phone_on_file_and_fills_a_missing_one(
    client: TestClient, lagos_shop: Shop
) -> None:
    ada = new_customer(client, lagos_shop)
    linked = ok(client.patch(f"{CUSTOMERS}/{ada['id']}", json={"wa_id": "2348059990000"}, headers=lagos_shop.staff))
    assert (linked["phone"], linked["wa_id"]) == ("+2348031234567", "2348059990000")
    walk_in = new_customer(client, lagos_shop, name="Bola", phone=None)
    filled = ok(client.patch(f"{CUSTOMERS}/{walk_in['id']}", json={"wa_id": "2348051112222"}, headers=lagos_shop.staff))
    assert filled["phone"] == "+2348051112222"
    taken = client.patch(f"{CUSTOMERS}/{walk_in['id']}", json={"phone": "0803 123 4567"}, headers=lagos_shop.staff)
    assert taken.status_code == 409
    assert taken.json()["customer_id"] == ada["id"]
