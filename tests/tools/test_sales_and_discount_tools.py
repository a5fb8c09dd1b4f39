"""Sales and discount tools against real PostgreSQL: answers come from the domain, refusals
come back as messages the model can act on, and nothing the model sends can widen its scope."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from domain import orders
from domain.context import Context
from domain.models import Channel, Role
from domain.orders import LineRequest, OrderDraft
from tools.discount import build_discount_tools
from tools.sales import build_sales_tools


def tool(tools, name: str):
    return next(t for t in tools if t.name == name)


def as_customer(ctx: Context, customer_id=None) -> Context:
    return Context(ctx.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=customer_id)


def test_search_finds_a_product_with_price_and_stock(tenant_a, make_variant, make_env) -> None:
    make_variant(tenant_a, "TEE-BLU-M", "19.99", stock=7, name="Blue Cotton Tee")
    result = tool(build_sales_tools(make_env(as_customer(tenant_a))), "search_products").invoke({"query": "blue tee"})
    assert result["matches"][0] == {
        "sku": "TEE-BLU-M",
        "product": "Blue Cotton Tee",
        "category": "general",
        "options": {},
        "price": "19.99",
        "in_stock": 7,
    }


@pytest.mark.parametrize("query", ["linen shirts", "linnen shirt", "LSS01", "summer shrits"])
def test_search_understands_plurals_typos_and_sku_prefixes(tenant_a, make_variant, make_env, query: str) -> None:
    make_variant(tenant_a, "LSS01-M", "38.00", stock=4, name="Linen Summer Shirt")
    make_variant(tenant_a, "MUG-01", "9.00", stock=4, name="Enamel Mug")
    result = tool(build_sales_tools(make_env(as_customer(tenant_a))), "search_products").invoke({"query": query})
    assert [match["sku"] for match in result["matches"]] == ["LSS01-M"]


def test_a_customer_never_sees_costs(tenant_a, make_variant, make_env) -> None:
    make_variant(tenant_a, "TEE-RED-M", "19.99", stock=7, cost="8.25")
    details = tool(build_sales_tools(make_env(as_customer(tenant_a))), "get_product_details").invoke(
        {"sku": "TEE-RED-M"}
    )
    assert "8.25" not in json.dumps(details)


def test_an_unknown_sku_comes_back_as_a_refusal_not_a_crash(tenant_a, make_env) -> None:
    answer = tool(build_sales_tools(make_env(tenant_a)), "get_product_details").invoke({"sku": "NOPE-1"})
    assert answer.startswith("refused (not_found)")


def test_another_tenants_sku_does_not_exist(tenant_a, tenant_b, make_variant, make_env) -> None:
    make_variant(tenant_a, "SECRET-SKU", stock=3)
    answer = tool(build_sales_tools(make_env(tenant_b)), "get_product_details").invoke({"sku": "SECRET-SKU"})
    assert answer.startswith("refused (not_found)")


@pytest.mark.parametrize(
    "arguments",
    [{"order_number": -5}, {"order_number": "drop table orders"}, {}, {"order_number": 10**12}],
)
def test_invalid_arguments_come_back_as_a_message(tenant_a, make_env, arguments) -> None:
    answer = tool(build_sales_tools(make_env(tenant_a)), "get_order_status").invoke(arguments)
    assert isinstance(answer, str)
    assert answer


def test_a_customer_only_sees_their_own_order(db: Session, tenant_a, make_variant, make_env) -> None:
    from domain import tenancy

    mug = make_variant(tenant_a, "MUG-STAT", stock=5)
    alice = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348011111111", name="Alice")
    bob = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348022222222", name="Bob")
    order = orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(mug.id, 1)], customer_id=alice.id))
    status = tool(build_sales_tools(make_env(as_customer(tenant_a, alice.id))), "get_order_status")
    assert status.invoke({"order_number": order.number})["status"] == "pending"
    nosy = tool(build_sales_tools(make_env(as_customer(tenant_a, bob.id))), "get_order_status")
    assert nosy.invoke({"order_number": order.number}).startswith("refused (not_found)")


def test_business_info_says_hours_and_policy(tenant_a, make_env) -> None:
    info = tool(build_sales_tools(make_env(tenant_a)), "get_business_info").invoke({})
    assert info["return_window_days"] == 14
    assert info["currency"] == "USD"


def test_a_discount_within_the_threshold_is_allowed_with_totals(tenant_a, make_variant, make_env) -> None:
    make_variant(tenant_a, "BAG-TOTE", "40.00", stock=5)
    quote = tool(build_discount_tools(make_env(tenant_a)), "quote_discount").invoke(
        {"discount_pct": "10", "items": [{"sku": "BAG-TOTE", "quantity": 2}]}
    )
    assert (quote["verdict"], quote["total"], quote["commission"]) == ("is allowed", "72.00", "3.60")


def test_a_discount_above_the_threshold_needs_the_owner(tenant_a, make_variant, make_env) -> None:
    make_variant(tenant_a, "BAG-WEEK", "40.00", stock=5)
    quote = tool(build_discount_tools(make_env(as_customer(tenant_a))), "quote_discount").invoke(
        {"discount_pct": "15", "items": [{"sku": "BAG-WEEK", "quantity": 1}]}
    )
    assert quote["verdict"] == "needs the owner's approval"
    assert "commission" not in quote


def test_a_discount_above_the_cap_is_refused_with_the_cap(tenant_a, make_variant, make_env) -> None:
    make_variant(tenant_a, "BAG-DUFF", "40.00", stock=5)
    answer = tool(build_discount_tools(make_env(tenant_a)), "quote_discount").invoke(
        {"discount_pct": "50", "items": [{"sku": "BAG-DUFF", "quantity": 1}]}
    )
    assert answer.startswith("refused (policy_violation)")
    assert "cap of 20" in answer
