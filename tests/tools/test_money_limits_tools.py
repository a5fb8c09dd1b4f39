"""The ordering tool refuses a total beyond the money columns with a message naming the limit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Context
from domain.models import Order
from tools.checkout import build_checkout_tools


def test_an_order_total_beyond_the_money_column_is_refused_by_the_tool(
    db: Session, tenant_a: Context, make_variant, make_env
) -> None:
    make_variant(tenant_a, "YACHT-1", "999999999999.99", stock=2, cost="1.00")
    [place_order] = build_checkout_tools(make_env(tenant_a))
    args = {"items": [{"sku": "YACHT-1", "quantity": 2}]}
    answer = place_order.invoke({"type": "tool_call", "id": "call-1", "name": "place_order", "args": args}).content
    assert answer.startswith("refused (validation_failed)")
    assert "999999999999.99" in answer
    assert db.scalar(select(func.count()).select_from(Order).where(Order.client_id == tenant_a.client_id)) == 0
