"""The new report, stock and customer tools: role rules enforced below the model, money as
strings, periods and bad arguments answered as messages the model can act on."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from langchain_core.tools import BaseTool
from sqlalchemy.orm import Session

from domain import catalog, inventory, orders, store_credit, tenancy
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.models import Channel, Role
from domain.orders import LineRequest, OrderDraft
from tools.analytics import build_analytics_tools
from tools.customers import build_customer_tools
from tools.sales import build_sales_tools
from tools.stock import build_stock_tools


def named(tools: list[BaseTool], name: str) -> BaseTool:
    return next(t for t in tools if t.name == name)


def run(tool: BaseTool, args: dict) -> dict | str:
    output = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}).content
    try:
        return json.loads(output)
    except json.JSONDecodeError:
        return output


@pytest.fixture
def shirts(db: Session, tenant_a: Context) -> None:
    product = catalog.create_product(
        db,
        tenant_a,
        ProductSpec(
            "Linen Shirt",
            variants=[
                VariantSpec("LIN-M", Decimal("40.00"), {"size": "M"}),
                VariantSpec("LIN-L", Decimal("40.00"), {"size": "L"}),
            ],
        ),
    )
    for variant, units in zip(product.variants, (3, 0), strict=True):
        if units:
            inventory.receive_stock(db, tenant_a, variant.id, units, Decimal("15"))
    orders.create_order(db, tenant_a, OrderDraft(lines=[LineRequest(product.variants[0].id, 1)]))


def test_every_size_is_listed_with_its_stock(shirts, tenant_a, make_env) -> None:
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    result = run(named(build_stock_tools(make_env(staff)), "check_product_stock"), {"product": "linen shrit"})
    assert result["product"] == "Linen Shirt"
    assert [(v["sku"], v["on_hand"]) for v in result["variants"]] == [("LIN-L", 0), ("LIN-M", 2)]


def test_margins_are_the_owners_alone(shirts, tenant_a, make_env) -> None:
    owner = run(named(build_analytics_tools(make_env(tenant_a)), "get_product_margin"), {"product": "LIN-M"})
    assert owner["variants"][1] == {
        "sku": "LIN-M",
        "options": {"size": "M"},
        "price": "40.00",
        "avg_cost": "15.00",
        "margin": "25.00",
        "margin_pct": "62.50",
    }
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    refused = run(named(build_analytics_tools(make_env(staff)), "get_product_margin"), {"product": "linen"})
    assert refused.startswith("refused (forbidden)")


def test_breakdowns_and_comparisons_take_any_period(shirts, tenant_a, make_env) -> None:
    tools = build_analytics_tools(make_env(tenant_a))
    by_payment = run(named(tools, "get_sales_breakdown"), {"by": "payment_method", "period": "today"})
    assert by_payment["groups"] == [{"name": "cash", "orders": 1, "units": 1, "revenue": "40.00"}]
    compared = run(
        named(tools, "compare_profit_and_loss"), {"current": {"period": "today"}, "previous": {"period": "yesterday"}}
    )
    assert compared["change"] == {"net_sales": "40.00", "gross_profit": "25.00", "net_profit": "23.00", "orders": 1}
    bad = run(named(tools, "get_profit_and_loss"), {"period": "named_month"})
    assert bad == "refused (validation_failed): name the month as a number from 1 to 12"
    invalid = run(named(tools, "get_sales_breakdown"), {"by": "weather"})
    assert "validation error" in invalid.lower()


def test_customer_tools_refuse_customers_and_never_guess_between_namesakes(db, tenant_a, make_env) -> None:
    for wa_id in ("2348011111111", "2348022222222"):
        tenancy.get_or_create_customer(db, tenant_a, wa_id=wa_id, name="Ada Obi")
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    tools = build_customer_tools(make_env(staff))
    assert run(named(tools, "find_customers"), {"query": "ada"})["count"] == 2
    ambiguous = run(named(tools, "get_customer_orders"), {"customer": "Ada"})
    assert ambiguous.startswith("refused (validation_failed): 2 customers match 'Ada'")
    me = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348033333333", name="Cy")
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=me.id)
    refused = run(named(build_customer_tools(make_env(customer)), "find_customers"), {"query": "ada"})
    assert refused.startswith("refused (forbidden)")


def test_a_customer_lists_only_their_own_orders(shirts, db, tenant_a, make_env) -> None:
    me = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348044444444", name="Dee")
    customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=me.id)
    mine = run(named(build_sales_tools(make_env(customer)), "list_orders"), {})
    assert mine == {"period": "all time", "status": "any", "count": 0, "orders": []}
    everyone = run(named(build_sales_tools(make_env(tenant_a)), "list_orders"), {"period": "today"})
    assert everyone["count"] == 1
    assert everyone["orders"][0]["total"] == "40.00"


def test_staff_see_a_customers_store_credit_when_they_find_them(db, tenant_a, make_env) -> None:
    ada = tenancy.get_or_create_customer(db, tenant_a, wa_id="2348044444444", name="Ada Obi")
    store_credit.adjust(db, tenant_a, ada.id, Decimal("25"), "late delivery")
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    found = run(named(build_customer_tools(make_env(staff)), "find_customers"), {"query": "ada"})
    assert found["customers"][0]["store_credit"] == "25.00"
