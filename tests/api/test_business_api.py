"""REST business profile: owners and staff read it (staff without commission), owners change it,
validated and audited; the superadmin creates a business with the same fields."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Role
from infra.db import make_session_factory, transaction
from tests.api.conftest import Shop
from tests.api.flows import V1, Json, ok

BUSINESS = f"{V1}/business"
D = Decimal

FULL_PROFILE: Json = {
    "name": "Ada's Boutique",
    "business_overview": "Ankara dresses and bags, made in Lagos.",
    "timezone": "Africa/Lagos",
    "opening_hours": "09:00",
    "closing_hours": "19:30",
    "currency": "NGN",
    "max_discount_pct": "15",
    "auto_approve_discount_pct": "5",
    "sales_commission_pct": "3.5",
    "return_window_days": 7,
    "return_refund_policy": "Unworn items with tags, refunded to the original payment.",
    "whatsapp_number": "+2348031234567",
    "messenger": "m.me/adasboutique",
    "required_api_keys": ["OPENAI_API_KEY", "WHATSAPP_ACCESS_TOKEN"],
    "country_calling_code": "234",
    "agent_language": "en-NG",
    "off_hours_reply": "We are closed; we answer from 9am.",
    "receipt_cost_band_pct": "40",
    "daily_adjustment_approval_units": 30,
}


def test_defaults_staff_see_no_commission_and_owners_do(client: TestClient, shop: Shop) -> None:
    as_staff = ok(client.get(BUSINESS, headers=shop.staff))
    assert "sales_commission_pct" not in as_staff
    assert (as_staff["id"], D(as_staff["receipt_cost_band_pct"]), as_staff["daily_adjustment_approval_units"]) == (
        shop.client_id,
        D("50"),
        20,
    )
    assert (as_staff["agent_language"], as_staff["country_calling_code"], as_staff["off_hours_reply"]) == (
        "en",
        None,
        "",
    )
    assert D(ok(client.get(BUSINESS, headers=shop.owner))["sales_commission_pct"]) == D("5")


def test_the_owner_changes_every_field_and_the_change_is_audited(client: TestClient, shop: Shop) -> None:
    changed = ok(client.patch(BUSINESS, json=FULL_PROFILE, headers=shop.owner))
    for key, value in FULL_PROFILE.items():
        got = changed[key]
        assert (D(got) if isinstance(value, str) and key.endswith("_pct") else got) == (
            D(value) if key.endswith("_pct") else value
        ), key
    log = ok(client.get(f"{V1}/sessions/logs", params={"action": "policy_changed"}, headers=shop.owner))["items"]
    assert len(log) == 1
    assert (log[0]["detail"]["before"]["max_discount_pct"], log[0]["detail"]["after"]["max_discount_pct"]) == (
        "20.00",
        "15",
    )
    assert log[0]["detail"]["before"]["country_calling_code"] is None
    assert log[0]["detail"]["after"]["closing_hours"] == "19:30:00"
    assert "opening_hours" not in log[0]["detail"]["after"]  # unchanged (09:00 already)
    ok(client.patch(BUSINESS, json={"name": "Ada's Boutique"}, headers=shop.owner))  # no change, no event
    assert ok(client.get(f"{V1}/sessions/logs", params={"action": "policy_changed"}, headers=shop.owner))["total"] == 1
    cleared = ok(client.patch(BUSINESS, json={"messenger": None, "currency": None}, headers=shop.owner))
    assert (cleared["messenger"], cleared["currency"]) == (None, "NGN")


def test_staff_cannot_change_the_business(client: TestClient, shop: Shop) -> None:
    response = client.patch(BUSINESS, json={"max_discount_pct": "90"}, headers=shop.staff)
    assert response.status_code == 403
    assert D(ok(client.get(BUSINESS, headers=shop.owner))["max_discount_pct"]) == D("20")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"opening_hours": "25:00"}, "opening_hours"),
        ({"opening_hours": "18:00:00"}, "same"),
        ({"closing_hours": "17:00:00+01:00"}, "without an offset"),
        ({"max_discount_pct": "101"}, "max_discount_pct"),
        ({"auto_approve_discount_pct": "25"}, "cannot exceed the discount cap"),
        ({"sales_commission_pct": "-1"}, "sales_commission_pct"),
        ({"receipt_cost_band_pct": "1000"}, "receipt_cost_band_pct"),
        ({"daily_adjustment_approval_units": 0}, "daily_adjustment_approval_units"),
        ({"country_calling_code": "+234"}, "country_calling_code"),
        ({"whatsapp_number": "0803 123 4567"}, "whatsapp_number"),
        ({"currency": "naira"}, "currency"),
        ({"next_order_number": 1}, "next_order_number"),
    ],
)
def test_bad_profile_values_are_a_422_that_says_which(
    client: TestClient, shop: Shop, change: Json, detail: str
) -> None:
    response = client.patch(BUSINESS, json=change, headers=shop.owner)
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]


def test_an_empty_return_policy_is_never_shown_as_an_empty_sentence(app_engine: Engine, shop: Shop) -> None:
    ctx = Context(client_id=shop.client_id, role=Role.CUSTOMER, channel=Channel.WHATSAPP)
    with transaction(make_session_factory(app_engine)) as session:
        info = tenancy.business_info(session, ctx, datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert info.return_policy == ""
    assert info.returns_summary == "Returns within 14 days of delivery. The shop has no other return terms."
    assert "Returns:  " not in info.returns_summary


def test_the_superadmin_creates_a_business_with_the_same_fields(client: TestClient, root: dict[str, str]) -> None:
    body = FULL_PROFILE | {"id": "ada_boutique", "owner": {"username": "ada", "password": "ada-password"}}
    created = ok(client.post(f"{V1}/admin/clients", json=body, headers=root), 201)["client"]
    assert (created["country_calling_code"], created["off_hours_reply"], created["required_api_keys"]) == (
        "234",
        "We are closed; we answer from 9am.",
        ["OPENAI_API_KEY", "WHATSAPP_ACCESS_TOKEN"],
    )
    bad = client.post(f"{V1}/admin/clients", json=body | {"id": "ada_two", "opening_hours": "19:30"}, headers=root)
    assert bad.status_code == 422
    assert "same" in bad.json()["detail"]
