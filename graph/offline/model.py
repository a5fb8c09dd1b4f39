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
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from graph.offline.arguments import (
    ADJUSTMENT,
    NEW_ADDRESS,
    NEW_ITEMS,
    REFUSAL,
    SKU,
    UNIT_COST,
    address_in,
    order_number_in,
    percent_in,
    product_phrase,
    quantity_in,
    return_args,
)
from graph.offline.intents import GREETING, HELP, Intent, classify
from graph.offline.replies import render


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
        args = return_args(request, result)
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
    return AIMessage(content=render(tool, result))


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
