"""Replies rendered from tool results, one template per tool."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _render_matches(result: dict[str, Any]) -> str:
    if not result["matches"]:
        return "I found nothing matching that. Try other words, a category or a SKU."
    lines = [
        f"- {m['product']} ({m['sku']}{', ' + ', '.join(m['options'].values()) if m['options'] else ''}): "
        f"{m['price']}, {m['in_stock']} in stock"
        for m in result["matches"]
    ]
    return "Here is what we have:\n" + "\n".join(lines)


def _render_order(result: dict[str, Any]) -> str:
    items = ", ".join(f"{i['quantity']} × {i['product']}" for i in result["items"])
    status = f"{result['status']} ({result['payment']})"
    return f"Order #{result['order_number']} is {status}: {items}. Total {result['total']}."


def _not_run(result: dict[str, Any], what: str) -> str | None:
    """The reply when an action that went to the owner did not run (None when it ran)."""
    if result.get("status") == "rejected":
        return f"Sorry, the owner did not approve {what}, so nothing changed."
    if result.get("status") == "failed":
        return f"The owner approved {what}, but it could not be done: {result.get('detail')}"
    return None


def _render_placed(result: dict[str, Any]) -> str:
    if "status" not in result:
        return "Okay, I have not placed that order. Anything else?"
    refused = _not_run(result, "that discount")
    if refused:
        return refused
    return f"Order #{result['order_number']} is placed ({result['order_status']}). Total {result['total']}."


def _render_cancelled(result: dict[str, Any]) -> str:
    if "status" not in result:
        return f"Okay, order #{result['order_number']} stays as it is."
    return _not_run(result, f"cancelling order #{result['order_number']}") or (
        f"Order #{result['order_number']} is cancelled."
    )


def _render_address(result: dict[str, Any]) -> str:
    if not result["changed"]:
        return f"Okay, the delivery address of order #{result['order_number']} stays as it is."
    return f"Order #{result['order_number']} will be delivered to {result['delivery_address']}."


def _render_adjusted(result: dict[str, Any]) -> str:
    return _not_run(result, f"adjusting {result['sku']} by {result['delta']:+d}") or (
        f"{result['sku']} adjusted by {result['delta']:+d}: {result['on_hand']} on hand now."
    )


def _render_received(result: dict[str, Any]) -> str:
    if not result["received"]:
        return f"Okay, I have not recorded that receipt of {result['sku']}."
    return f"Received {result['quantity']} × {result['sku']} at {result['unit_cost']}: {result['on_hand']} on hand now."


def _render_aging(result: dict[str, Any]) -> str:
    rows = "; ".join(f"{b['days']} days: {b['units']} units ({b['value']})" for b in result["buckets"])
    return f"Stock on the shelf by age: {rows}."


def _render_valuation(result: dict[str, Any]) -> str:
    categories = ", ".join(f"{c['category']} {c['value']}" for c in result["categories"]) or "none"
    top = ", ".join(f"{v['sku']} {v['value']}" for v in result["top_skus"]) or "none"
    return (
        f"Inventory is worth {result['total']} at cost ({result['units']} units). By category: {categories}. "
        f"Most valuable: {top}."
    )


def _render_reorders(result: dict[str, Any]) -> str:
    if not result["items"]:
        return "Nothing needs reordering right now."
    lines = [
        f"- {i['sku']} ({i['product']}): order {i['suggested']} ({i['on_hand']} on hand, selling {i['per_day']}/day)"
        for i in result["items"]
    ]
    head = f"To cover {result['cover_days']} days at the last {result['days']} days' sales rate, reorder:"
    return head + "\n" + "\n".join(lines)


def _render_items_changed(result: dict[str, Any]) -> str:
    if not result["changed"]:
        return f"Okay, order #{result['order_number']} stays as it is."
    items = ", ".join(f"{i['quantity']} × {i['product']}" for i in result["items"])
    return f"Order #{result['order_number']} now has {items}. Total {result['total']}."


def _render_returned(result: dict[str, Any]) -> str:
    if not result["returned"]:
        return f"Okay, nothing from order #{result['order_number']} is coming back."
    if result["kind"] == "exchange":
        extra = f" You pay {result['charge']} more." if result["charge"] != "0.00" else ""
        return f"Exchange of {result['items']} from order #{result['order_number']} is recorded.{extra}"
    return f"Return of {result['items']} from order #{result['order_number']} is recorded; refund {result['refund']}."


def _render_info(result: dict[str, Any]) -> str:
    state = "open now" if result["open_now"] else "closed right now"
    return f"{result['name']} is {state}; hours {result['hours']}. {result['return_policy']}"


def _render_quote(result: dict[str, Any]) -> str:
    return (
        f"A {result['discount_pct']}% discount {result['verdict']}: subtotal {result['subtotal']}, "
        f"discount {result['discount']}, total {result['total']}."
    )


def _render_stock(result: dict[str, Any]) -> str:
    return (
        f"{result['sku']} ({result['product']}): {result['on_hand']} on hand, reorder point {result['reorder_point']}."
    )


def _render_low_stock(result: dict[str, Any]) -> str:
    if not result["items"]:
        return "Nothing is at or below its reorder point."
    lines = [
        f"- {i['sku']} ({i['product']}): {i['on_hand']} left (reorder at {i['reorder_point']})" for i in result["items"]
    ]
    return "Low on stock:\n" + "\n".join(lines)


def _render_pnl(result: dict[str, Any]) -> str:
    return (
        f"{result['period'].capitalize()} so far: net sales {result['net_sales']} {result['currency']}, "
        f"gross profit {result['gross_profit']} ({result['gross_margin_pct']}% margin), refunds {result['refunds']}, "
        f"net profit {result['net_profit']}, {result['orders']} orders."
    )


def _render_dashboard(result: dict[str, Any]) -> str:
    month = result["month"]
    days = result["days_of_inventory"] or "n/a"
    return (
        f"This month: net sales {month['net_sales']} {result['currency']}, gross profit {month['gross_profit']} "
        f"({month['gross_margin_pct']}%), {month['orders']} orders. Inventory worth {result['inventory_value']}, "
        f"{result['low_stock']} SKUs low and {result['out_of_stock']} out of stock, {days} days of stock left, "
        f"sell-through {result['sell_through_pct']}%, average order {result['average_order_value_30d']}."
    )


def _render_top_products(result: dict[str, Any]) -> str:
    def rows(items: list[dict[str, Any]]) -> str:
        return "; ".join(f"{i['product']} ({i['revenue']} revenue, {i['profit']} profit)" for i in items) or "none yet"

    return (
        f"Best sellers (30 days): {rows(result['top_by_revenue'])}. Most profitable: {rows(result['top_by_profit'])}. "
        f"Slowest: {rows(result['bottom_by_revenue'])}."
    )


def _render_generic(result: Any) -> str:
    return json.dumps(result, ensure_ascii=False)


RENDERERS: dict[str, Callable[[Any], str]] = {
    "search_products": _render_matches,
    "get_product_details": lambda r: _render_matches({"matches": [r]}),
    "get_order_status": _render_order,
    "get_business_info": _render_info,
    "place_order": _render_placed,
    "cancel_order": _render_cancelled,
    "change_delivery_address": _render_address,
    "adjust_stock": _render_adjusted,
    "record_receipt": _render_received,
    "get_stock_aging": _render_aging,
    "get_inventory_valuation": _render_valuation,
    "suggest_reorders": _render_reorders,
    "change_order_items": _render_items_changed,
    "return_items": _render_returned,
    "get_profit_and_loss": _render_pnl,
    "get_dashboard": _render_dashboard,
    "get_top_products": _render_top_products,
    "quote_discount": _render_quote,
    "check_stock": _render_stock,
    "list_low_stock": _render_low_stock,
}


def render(tool: str, result: Any) -> str:
    """The answer to a tool's result, from that tool's template (every number from the domain)."""
    return RENDERERS.get(tool, _render_generic)(result)
