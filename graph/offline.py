"""The offline model: a deterministic BaseChatModel so the graph works with no LLM configured.

It is table-driven, not an NLU project. What it does depends on the tools it is bound to and on
the last message it sees:
- bound to the supervisor's `ask_*` tools, given a user message: classify the intent by keywords
  and delegate the request to the matching specialist;
- bound to a specialist's tools, given a request: pick the tool for the intent and fill its
  arguments from the text (quantities, percentages, order numbers, a product phrase); products
  are resolved by calling `search_products` first and using its top hit;
- given a tool result: render the answer from that tool's template, so every number comes from
  the domain; a refusal is passed on as it was worded by the domain;
- anything else: say what it understands, with examples.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

HELP = (
    "I can help with: finding products and prices ('do you have linen shirts?'), stock "
    "('how many CCTS00-M in stock?', 'what is low on stock?', 'receive 20 CCTS00-M at 6.50', 'what should "
    "I reorder?', 'stock aging', 'inventory value'), discounts ('can I get 10% off 2 "
    "canvas tote bags?'), order status ('where is order 1042?'), changing an order ('change order 1042 "
    "to 3 linen shirts'), returns ('return 1 item from order 1042') and our hours and return policy."
)
GREETING = "Hello! " + HELP


@dataclass(frozen=True)
class Intent:
    """A kind of request: which specialist handles it and the words that signal it."""

    name: str
    agent: str
    pattern: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


# Checked in order: the first match wins.
INTENTS = (
    Intent("greeting", "", _words("hi", "hello", "hey", "good (?:morning|afternoon|evening)", "thanks", "thank you")),
    Intent("cancel_order", "sales", re.compile(r"\bcancel\b.*\border\b\D*\d{3,}", re.IGNORECASE)),
    Intent(
        "change_address",
        "sales",
        re.compile(r"\b(?:change|update)\b.*\baddress\b.*\border\b\D*\d{3,}.*\bto\s+\S", re.IGNORECASE),
    ),
    Intent("change_items", "sales", re.compile(r"\bchange\b.*\border\b\D*\d{3,}\s+to\s+\d", re.IGNORECASE)),
    Intent("return_items", "sales", re.compile(r"\b(?:return|exchange)\b.*\border\b\D*\d{3,}", re.IGNORECASE)),
    Intent("adjust_stock", "stock", re.compile(r"\badjust\b.*\bby\s+[+-]?\d+", re.IGNORECASE)),
    Intent("receive_stock", "stock", re.compile(r"\breceived?\b.*\d.*\bat\s+\D?\d", re.IGNORECASE)),
    Intent(  # an order naming its discount ("buy 2 hoodies at 15% off") is still an order
        "order", "sales", re.compile(r"\b(?:buy|purchase|order)\b.*\d+(?:\.\d+)?\s*%", re.IGNORECASE)
    ),
    Intent("discount", "discount", _words("discount", r"\d+(?:\.\d+)?\s*%", "percent", "cheaper", "deal", "off")),
    Intent(
        "analytics",
        "analytics",
        _words(
            "profit",
            "p&l",
            "p & l",
            "margin",
            "revenue",
            "dashboard",
            "kpis?",
            "best sell\\w*",
            "top products?",
            "worst products?",
            "sales (?:today|this week|this month)",
            "how (?:are|did) we do\\w*",
        ),
    ),
    Intent("stock_aging", "stock", _words("stock age?ing", "age?ing", "how old is (?:the |our )?stock")),
    Intent("inventory_value", "stock", _words("inventory (?:value|valuation|worth)", "stock (?:value|worth)", "worth")),
    Intent("reorder", "stock", _words("reorder", "re-order", "restock")),
    Intent("order_status", "sales", re.compile(r"\border\s*(?:number|no\.?|#)?\s*#?\s*\d{3,}", re.IGNORECASE)),
    Intent("order", "sales", _words("buy", "purchase", "i'll take", "i will take", "place an order", "order")),
    Intent("low_stock", "stock", _words("low on stock", "low stock", "running out", "out of stock")),
    Intent("stock", "stock", _words("stock", "how many", "inventory", "units left", "on hand")),
    Intent(
        "business_info", "sales", _words("open", "close", "closing", "hours", "return policy", "refund", "returns?")
    ),
    Intent("product", "sales", _words("price", "cost", "how much", "have", "sell", "looking for", "want", "show")),
)

FILLER = _words(
    "take",
    "ll",
    "will",
    "purchase",
    "order",
    "place",
    "and",
    "do",
    "you",
    "have",
    "any",
    "the",
    "a",
    "an",
    "some",
    "please",
    "price",
    "of",
    "for",
    "how",
    "much",
    "is",
    "are",
    "what",
    "can",
    "i",
    "get",
    "me",
    "show",
    "looking",
    "want",
    "to",
    "buy",
    "sell",
    "in",
    "stock",
    "many",
    "units",
    "left",
    "on",
    "hand",
    "discount",
    "percent",
    "off",
    "cheaper",
    "deal",
    "with",
    "there",
    "does",
    "it",
    "cost",
    "your",
    "we",
    "my",
    "would",
    "like",
    "need",
)
DELIVERY = re.compile(r"\b(?:deliver(?:ed)?|send(?: it)?|ship(?: it)?)\s+to\s+(.+)$", re.IGNORECASE)
REFUSAL = re.compile(r"^refused \(\w+\):\s*")
NEW_ADDRESS = re.compile(r"\border\b\D*\d{3,}\s+to\s+(.+)$", re.IGNORECASE)
ADJUSTMENT = re.compile(r"\bby\s+([+-]?\d{1,7})\b(?:\s*(?:units?)?\s*(?:,|because|for|-)?\s*(.*))?$", re.IGNORECASE)
NEW_ITEMS = re.compile(r"\border\b\D*\d{3,}\s+to\s+(.+)$", re.IGNORECASE)
UNIT_COST = re.compile(r"\bat\s+\D?(\d{1,9}(?:\.\d{1,4})?)\b", re.IGNORECASE)
EXCHANGE_FOR = re.compile(r"\bfor\s+(?:a\s+|an\s+)?(\b[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b)")
DAMAGED = _words("damaged", "broken", "faulty", "torn")
SKU = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b|\b[A-Z]{2,}\d{2,}\b")


def classify(text: str) -> Intent | None:
    """The first intent whose words appear in `text`."""
    return next((intent for intent in INTENTS if intent.pattern.search(text)), None)


def product_phrase(text: str) -> str:
    """The product words of a request: the SKU if there is one, else the text minus filler
    (and minus any delivery address)."""
    text = DELIVERY.split(text)[0]
    sku = SKU.search(text)
    if sku:
        return sku.group(0)
    stripped = re.sub(r"\d+(?:\.\d+)?\s*%|\d+", " ", text)
    stripped = FILLER.sub(" ", re.sub(r"[^\w\s-]", " ", stripped))
    # search matches word prefixes, so "shirt" finds shirt and shirts; "shirts" would miss "shirt"
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in stripped.split())


def address_in(text: str) -> str | None:
    """A delivery address given as "deliver to ..." or "send it to ..."."""
    match = DELIVERY.search(text)
    return match.group(1).strip(" .") if match else None


def quantity_in(text: str) -> int:
    """The first small whole number not followed by % and not in the address (default 1)."""
    match = re.search(r"\b(\d{1,4})\b(?!\s*%|\.\d)", DELIVERY.split(text)[0])
    return int(match.group(1)) if match else 1


def percent_in(text: str) -> str | None:
    """The first percentage in the text, as a string."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", text, re.IGNORECASE)
    return match.group(1) if match else None


def order_number_in(text: str) -> int | None:
    """The first number of 3+ digits."""
    match = re.search(r"\b(\d{3,9})\b", text)
    return int(match.group(1)) if match else None


def _without_order_number(text: str) -> str:
    return re.sub(r"\border\b\D*\d{3,}", " ", text, flags=re.IGNORECASE)


def _return_args(request: str, order: dict[str, Any]) -> dict[str, Any] | None:
    """return_items' arguments: the line named by SKU or product words (else the first line)."""
    if not order.get("items"):
        return None
    rest = _without_order_number(request)
    exchange = EXCHANGE_FOR.search(rest)
    named = SKU.search(EXCHANGE_FOR.sub(" ", rest))
    words = set(product_phrase(rest).lower().split())
    line = next(
        (i for i in order["items"] if named and i["sku"] == named.group(0)),
        next((i for i in order["items"] if words & set(i["product"].lower().split())), order["items"][0]),
    )
    item = {"sku": line["sku"], "quantity": quantity_in(SKU.sub(" ", rest)), "damaged": bool(DAMAGED.search(rest))}
    args: dict[str, Any] = {"order_number": order["order_number"], "items": [item]}
    if exchange:
        args["exchange_for_sku"] = exchange.group(1)
    return args


def _call(name: str, args: dict[str, Any]) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}"}])


def _result(message: ToolMessage) -> Any:
    try:
        return json.loads(str(message.content))
    except json.JSONDecodeError:
        return str(message.content)


def _first_request(messages: Sequence[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


# --- how a specialist answers a request ----------------------------------------------------


def _start(intent: Intent, text: str, tools: frozenset[str]) -> AIMessage:
    """The specialist's first move for a request."""
    number = order_number_in(text)
    if intent.name == "cancel_order" and "cancel_order" in tools and number:
        return _call("cancel_order", {"order_number": number})
    address = NEW_ADDRESS.search(text)
    if intent.name == "change_address" and "change_delivery_address" in tools and number and address:
        return _call("change_delivery_address", {"order_number": number, "address": address.group(1).strip(" .")})
    if intent.name == "return_items" and "return_items" in tools and number:
        return _call("get_order_status", {"order_number": number})  # which SKUs it holds
    new_items = NEW_ITEMS.search(text)
    if intent.name == "change_items" and "change_order_items" in tools and new_items:
        return _call("search_products", {"query": product_phrase(new_items.group(1))})
    stock_reads = {"stock_aging": "get_stock_aging", "inventory_value": "get_inventory_valuation"}
    if stock_reads.get(intent.name) in tools:
        return _call(stock_reads[intent.name], {})
    if intent.name == "reorder" and "suggest_reorders" in tools:
        return _call("suggest_reorders", {})
    adjustment, sku, cost = ADJUSTMENT.search(text), SKU.search(text), UNIT_COST.search(text)
    if intent.name == "receive_stock" and "record_receipt" in tools and sku and cost:
        quantity = quantity_in(UNIT_COST.sub(" ", SKU.sub(" ", text)))
        return _call("record_receipt", {"sku": sku.group(0), "quantity": quantity, "unit_cost": cost.group(1)})
    if intent.name == "adjust_stock" and "adjust_stock" in tools and adjustment and sku:
        reason = (adjustment.group(2) or "").strip(" .") or "count corrected"
        return _call("adjust_stock", {"sku": sku.group(0), "delta": int(adjustment.group(1)), "reason": reason})
    if intent.name == "order_status" and "get_order_status" in tools:
        number = order_number_in(text)
        if number:
            return _call("get_order_status", {"order_number": number})
    if intent.name == "business_info" and "get_business_info" in tools:
        return _call("get_business_info", {})
    if intent.name == "low_stock" and "list_low_stock" in tools:
        return _call("list_low_stock", {})
    if intent.name == "analytics" and "get_dashboard" in tools:
        if re.search(r"\b(?:best|worst|top|bottom)\b", text, re.IGNORECASE):
            return _call("get_top_products", {})
        if re.search(r"\b(?:profit|p ?& ?l|margin|revenue|sales)\b", text, re.IGNORECASE):
            period = next((p for p in ("today", "week", "month") if p in text.lower()), "month")
            return _call("get_profit_and_loss", {"period": period})
        return _call("get_dashboard", {})
    phrase = product_phrase(text)
    if phrase and "search_products" in tools:
        return _call("search_products", {"query": phrase})
    return AIMessage(content="Which product do you mean? Tell me its name or SKU. " + HELP)


def _follow_up(intent: Intent | None, request: str, tool: str, result: Any, tools: frozenset[str]) -> AIMessage:
    """After a tool answered: use the top search hit for the next call, or render the answer."""
    if (
        isinstance(result, dict)
        and tool == "search_products"
        and result["matches"]
        and intent
        and intent.name == "order"
    ):
        item = {"sku": result["matches"][0]["sku"], "quantity": quantity_in(request)}
        args: dict[str, Any] = {"items": [item], "delivery_address": address_in(request)}
        if percent_in(request):
            args["discount_pct"] = percent_in(request)
        return _call("place_order", args)
    if isinstance(result, dict) and intent and intent.name == "change_items" and result.get("matches"):
        new_items = NEW_ITEMS.search(request)
        number = order_number_in(request)
        if tool == "search_products" and new_items and number and "change_order_items" in tools:
            item = {"sku": result["matches"][0]["sku"], "quantity": quantity_in(new_items.group(1))}
            return _call("change_order_items", {"order_number": number, "items": [item]})
    if isinstance(result, dict) and intent and intent.name == "return_items" and tool == "get_order_status":
        args = _return_args(request, result)
        if args and "return_items" in tools:
            return _call("return_items", args)
    if isinstance(result, str):  # a refusal or an argument error, worded for people
        return AIMessage(content="Sorry: " + REFUSAL.sub("", result))
    if tool == "search_products" and result.get("matches") and intent is not None:
        top = result["matches"][0]["sku"]
        if intent.name == "discount" and "quote_discount" in tools:
            pct = percent_in(request) or "0"
            return _call(
                "quote_discount", {"discount_pct": pct, "items": [{"sku": top, "quantity": quantity_in(request)}]}
            )
        if intent.name == "stock" and "check_stock" in tools:
            return _call("check_stock", {"sku": top})
    return AIMessage(content=RENDERERS.get(tool, _render_generic)(result))


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


def _render_placed(result: dict[str, Any]) -> str:
    if result.get("rejected"):
        return "Sorry, the owner did not approve that discount, so I have not placed the order."
    if not result["placed"]:
        return "Okay, I have not placed that order. Anything else?"
    waiting = " The discount waits for the owner's approval." if result["discount_approval"] == "pending" else ""
    return f"Order #{result['order_number']} is placed ({result['status']}). Total {result['total']}.{waiting}"


def _render_cancelled(result: dict[str, Any]) -> str:
    if result.get("rejected"):
        return f"The owner did not approve cancelling order #{result['order_number']}; it stays as it is."
    if not result["cancelled"]:
        return f"Okay, order #{result['order_number']} stays as it is."
    return f"Order #{result['order_number']} is cancelled."


def _render_address(result: dict[str, Any]) -> str:
    if not result["changed"]:
        return f"Okay, the delivery address of order #{result['order_number']} stays as it is."
    return f"Order #{result['order_number']} will be delivered to {result['delivery_address']}."


def _render_adjusted(result: dict[str, Any]) -> str:
    if result.get("rejected"):
        return f"The owner did not approve adjusting {result['sku']} by {result['delta']:+d}; nothing changed."
    return f"{result['sku']} adjusted by {result['delta']:+d}: {result['on_hand']} on hand now."


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


class OfflineChatModel(BaseChatModel):
    """A deterministic chat model with real tool calls; see the module docstring."""

    bound_tools: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "easy-ecom-offline"

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], **kwargs: Any
    ) -> Runnable[Any, AIMessage]:
        """Remember which tools are available; the behaviour follows from their names."""
        names = tuple(t.name if isinstance(t, BaseTool) else getattr(t, "__name__", str(t)) for t in tools)
        return self.model_copy(update={"bound_tools": names})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self.respond(messages)
        words = sum(len(str(m.content).split()) for m in messages)
        message.usage_metadata = {
            "input_tokens": words,
            "output_tokens": len(str(message.content).split()),
            "total_tokens": words + len(str(message.content).split()),
        }
        return ChatResult(generations=[ChatGeneration(message=message)])

    def respond(self, messages: Sequence[BaseMessage]) -> AIMessage:
        """The next message for this conversation."""
        tools = frozenset(self.bound_tools)
        request = _first_request(messages)
        intent = classify(request)
        last = messages[-1] if messages else HumanMessage("")
        if isinstance(last, ToolMessage):
            return _follow_up(intent, request, str(last.name), _result(last), tools)
        if intent is None:
            return AIMessage(content="Sorry, I did not catch that. " + HELP)
        if intent.name == "greeting":
            return AIMessage(content=GREETING)
        delegate = f"ask_{intent.agent}"
        if delegate in tools:
            return _call(delegate, {"request": request})
        if any(name.startswith("ask_") for name in tools):
            return AIMessage(content=f"I cannot help with that here. {HELP}")
        return _start(intent, request, tools)
