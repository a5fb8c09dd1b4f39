"""Replies rendered from tool results, one template per tool."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any


def counted(count: int, noun: str) -> str:
    """A count with its noun: 1 order, 3 orders."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
    if "status" not in result:
        return f"Okay, I have not changed the count of {result['sku']}."
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


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pnl_figures(result: dict[str, Any]) -> str:
    return (
        f"net sales {result['net_sales']} {result['currency']}, gross profit {result['gross_profit']} "
        f"({result['gross_margin_pct']}% margin), refunds {result['refunds']}, net profit {result['net_profit']}, "
        f"{counted(result['orders'], 'order')}"
    )


def _render_pnl(result: dict[str, Any]) -> str:
    return f"{_sentence_start(result['period'])}: {_pnl_figures(result)}."


def _render_comparison(result: dict[str, Any]) -> str:
    now, before, change = result["current"], result["previous"], result["change"]

    def signed(value: str) -> str:
        return value if value.startswith("-") else f"+{value}"

    return (
        f"{_sentence_start(now['period'])}: {_pnl_figures(now)}.\n"
        f"{_sentence_start(before['period'])}: {_pnl_figures(before)}.\n"
        f"Change: net sales {signed(change['net_sales'])}, gross profit {signed(change['gross_profit'])}, "
        f"net profit {signed(change['net_profit'])}, orders {change['orders']:+d}."
    )


def _render_breakdown(result: dict[str, Any]) -> str:
    if not result["groups"]:
        return f"No sales {result['period']}."
    rows = [
        f"- {g['name']}: {g['revenue']} {result['currency']} "
        f"({counted(g['orders'], 'order')}, {counted(g['units'], 'unit')})"
        for g in result["groups"]
    ]
    return f"Sales by {result['by'].replace('_', ' ')}, {result['period']}:\n" + "\n".join(rows)


def _options(row: dict[str, Any]) -> str:
    return f" ({', '.join(row['options'].values())})" if row.get("options") else ""


def _render_margin(result: dict[str, Any]) -> str:
    rows = [
        f"- {v['sku']}{_options(v)}: price {v['price']}, average cost {v['avg_cost']}, margin {v['margin']} "
        f"({v['margin_pct']}%)"
        for v in result["variants"]
    ]
    return f"{result['product']} margins:\n" + "\n".join(rows)


def _render_product_stock(result: dict[str, Any]) -> str:
    rows = [f"- {v['sku']}{_options(v)}: {v['on_hand']} on hand" for v in result["variants"]]
    return f"{result['product']}: {result['total']} on hand in all.\n" + "\n".join(rows)


def _order_rows(orders: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"- #{o['order_number']} ({o['placed']}, {o['status']}): {o['items']}. Total {o['total']}" for o in orders
    )


def _render_orders(result: dict[str, Any]) -> str:
    status = "" if result["status"] == "any" else f"{result['status']} "
    if not result["count"]:
        return f"No {status}orders ({result['period']})."
    shown = f", the latest {len(result['orders'])}" if result["count"] > len(result["orders"]) else ""
    head = f"{result['count']} {status}order{'s' if result['count'] != 1 else ''} ({result['period']}){shown}:"
    return head + "\n" + _order_rows(result["orders"])


def _render_customers(result: dict[str, Any]) -> str:
    if not result["customers"]:
        return "No customer matches that. Try a phone number or the full name."
    rows = [
        f"- {c['name']} ({c['phone'] or c['email'] or 'no contact'}): "
        f"{counted(c['orders'], 'order')}, {c['net_sales']} spent, "
        f"{c['returns']} returns" + (f", {c['store_credit']} store credit" if Decimal(c["store_credit"]) else "")
        for c in result["customers"]
    ]
    return f"{result['count']} customer{'s' if result['count'] != 1 else ''} found:\n" + "\n".join(rows)


def _render_customer_orders(result: dict[str, Any]) -> str:
    if not result["count"]:
        return f"{result['customer']} has no orders yet."
    return f"{result['customer']} has {counted(result['count'], 'order')}:\n" + _order_rows(result["orders"])


def _render_customer_returns(result: dict[str, Any]) -> str:
    if not result["count"]:
        return f"{result['customer']} has returned nothing."
    rows = [f"- {r['date']}: {r['kind']} of {r['units']} unit(s), refund {r['refund']}" for r in result["returns"]]
    return f"{result['customer']} has {result['count']} return(s):\n" + "\n".join(rows)


def _render_return_request(result: dict[str, Any]) -> str:
    if not result["requested"]:
        return f"Okay, no return request for order #{result['order_number']}."
    return (
        f"Your return request for order #{result['order_number']} is open. Send the items back; the shop "
        "refunds you once it receives them."
    )


def _render_dashboard(result: dict[str, Any]) -> str:
    month = result["month"]
    days = result["days_of_inventory"] or "n/a"
    return (
        f"This month: net sales {month['net_sales']} {result['currency']}, gross profit {month['gross_profit']} "
        f"({month['gross_margin_pct']}%), {counted(month['orders'], 'order')}. "
        f"Inventory worth {result['inventory_value']}, "
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
    "compare_profit_and_loss": _render_comparison,
    "get_sales_breakdown": _render_breakdown,
    "get_product_margin": _render_margin,
    "check_product_stock": _render_product_stock,
    "list_orders": _render_orders,
    "find_customers": _render_customers,
    "get_customer_orders": _render_customer_orders,
    "get_customer_returns": _render_customer_returns,
    "request_return": _render_return_request,
    "get_dashboard": _render_dashboard,
    "get_top_products": _render_top_products,
    "quote_discount": _render_quote,
    "check_stock": _render_stock,
    "list_low_stock": _render_low_stock,
}


def render(tool: str, result: Any) -> str:
    """The answer to a tool's result, from that tool's template (every number from the domain)."""
    return RENDERERS.get(tool, _render_generic)(result)
