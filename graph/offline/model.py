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
from graph.offline.basket import (
    ANSWER_MARK,
    COLOURS,
    NO,
    REVISION_FILLER,
    SIZES,
    Want,
    choose,
    customer_named,
    revise,
    wants_in,
)
from graph.offline.intents import GREETING, Intent, classify, help_for, normalize
from graph.offline.periods import earlier, period_in, two_periods_in
from graph.offline.replies import render


def _call(name: str, args: dict[str, Any]) -> AIMessage:
    return _calls([(name, args)])


def _calls(calls: list[tuple[str, dict[str, Any]]]) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:12]}"} for n, a in calls],
    )


def _result(message: ToolMessage) -> Any:
    try:
        return json.loads(str(message.content))
    except json.JSONDecodeError:
        return str(message.content)


def _first_request(messages: Sequence[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _last_batch(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """The tool results answering the last AI message's calls, in the order they were called."""
    calls = next((m for m in reversed(messages) if isinstance(m, AIMessage) and m.tool_calls), None)
    if calls is None:
        return []
    by_id = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    return [by_id[c["id"]] for c in calls.tool_calls if c["id"] in by_id]


# --- ordering: several products, the variant asked for, changes before the yes --------------


def _order_answers(messages: Sequence[BaseMessage]) -> list[str]:
    """What the requester said instead of yes to each order summary so far."""
    answers = []
    for message in messages:
        if isinstance(message, ToolMessage) and message.name == "place_order":
            result = _result(message)
            if isinstance(result, dict) and not result.get("placed") and result.get("answer"):
                answers.append(normalize(str(result["answer"])))
    return answers


def _searches_since_summary(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    """The product searches of this round: since the request, or since the last order summary."""
    found: list[ToolMessage] = []
    for message in messages:
        if isinstance(message, ToolMessage) and message.name == "place_order":
            found = []
        elif isinstance(message, ToolMessage) and message.name == "search_products":
            found.append(message)
    return found


def _wants(base: str, answers: list[str]) -> list[Want] | None:
    wants: list[Want] | None = wants_in(base)
    for answer in answers:
        wants = revise(wants, answer) if wants is not None else None
    return wants


def _ordering(base: str, answers: list[str], messages: Sequence[BaseMessage], tools: frozenset[str]) -> AIMessage:
    """Search every product asked for, pick the variant said (or ask), then place_order."""
    last = messages[-1]
    if isinstance(last, ToolMessage) and last.name == "place_order":
        result = _result(last)
        answer = result.get("answer") if isinstance(result, dict) else None
        if not isinstance(result, dict) or result.get("placed") or "status" in result or not answer or NO.match(answer):
            return _rendered("place_order", result)
    said = [*answers, *_order_answers(messages)]
    wants = _wants(base, said)
    if wants is None or (
        isinstance(last, ToolMessage) and last.name == "place_order" and wants == _wants(base, said[:-1])
    ):
        return AIMessage(content="Okay, I have not placed that order. Anything else?")
    if not wants:
        return AIMessage(content="Which product would you like? Tell me its name or SKU.")
    found = _searches_since_summary(messages)
    if len(found) < len(wants):  # one search per product, in turn (each its own transaction)
        return _call("search_products", {"query": wants[len(found)].query, "limit": 10})
    items, questions = [], []
    for want, message in zip(wants, found, strict=False):
        result = _result(message)
        if isinstance(result, str):
            return _rendered("search_products", result)
        choice = choose(want, result["matches"])
        if choice.sku is None:
            questions.append(str(choice.question))
        else:
            items.append({"sku": choice.sku, "quantity": want.quantity})
    if questions:
        return AIMessage(content=" ".join(questions))
    args: dict[str, Any] = {"items": items, "delivery_address": address_in(base)}
    if percent_in(base):
        args["discount_pct"] = percent_in(base)
    customer = customer_named(base)
    if customer:
        args["customer"] = customer
    return _call("place_order", args)


# --- one named product: search it, pick the variant said (or ask), then call a tool ----------


def _on_variant(want: Want, messages: Sequence[BaseMessage], call: Callable[[str], AIMessage]) -> AIMessage:
    """Search the product wanted (once), then `call` with the SKU of the variant said, or ask which."""
    batch = _last_batch(messages)
    if not batch or batch[0].name != "search_products":
        return _call("search_products", {"query": want.query, "limit": 10})
    result = _result(batch[0])
    if isinstance(result, str):
        return _rendered("search_products", result)
    choice = choose(want, result["matches"])
    return AIMessage(content=str(choice.question)) if choice.sku is None else call(choice.sku)


def _named_stock_write(intent: str, base: str, answers: list[str], messages: Sequence[BaseMessage]) -> AIMessage:
    """ "adjust straw hats by -1", "received 6 straw hats at 6.50": the product by name, not SKU."""
    last = messages[-1]
    tool = "adjust_stock" if intent == "adjust_stock" else "record_receipt"
    if isinstance(last, ToolMessage) and last.name == tool:
        return _rendered(tool, _result(last))
    if intent == "adjust_stock":
        adjustment = ADJUSTMENT.search(base)
        if adjustment is None:
            return AIMessage(content="By how much? For example: 'adjust the straw hat by -1, damaged'.")
        wants = _wants(base[: adjustment.start()], answers) or []
        reason = _reason_of(adjustment)
        delta = int(adjustment.group(1))
        make = lambda sku: _call("adjust_stock", {"sku": sku, "delta": delta, "reason": reason})  # noqa: E731
    else:
        cost = UNIT_COST.search(base)
        wants = _wants(UNIT_COST.sub(" ", base), answers) or []
        if cost is None:
            return AIMessage(content="At what unit cost? For example: 'received 6 straw hats at 6.50'.")
        quantity = wants[0].quantity if wants else 1
        make = lambda sku: _call(  # noqa: E731
            "record_receipt", {"sku": sku, "quantity": quantity, "unit_cost": cost.group(1)}
        )
    if not wants:
        return AIMessage(content="Which product? Tell me its name or SKU.")
    return _on_variant(wants[0], messages, make)


def _reason_of(adjustment: re.Match[str]) -> str:
    """Why a count changes: its word ("damaged", "found") if said, else the words after the number."""
    said = (adjustment.group(2) or "").strip(" .")
    word = REASON.search(said)
    return word.group(1).lower() if word else said or "count corrected"


def _lookups(wants: list[Want], messages: Sequence[BaseMessage]) -> AIMessage:
    """Several products asked about in one message: one search each, then every answer."""
    found = [m for m in messages if isinstance(m, ToolMessage) and m.name == "search_products"]
    if len(found) < len(wants):
        return _call("search_products", {"query": wants[len(found)].query})
    results = [_result(m) for m in found]
    return AIMessage(
        content="\n".join(
            _rendered("search_products", r).content if isinstance(r, str) else render("search_products", r)
            for r in results
        )
    )


# --- stock found or lost, in plain words -------------------------------------------------

GAIN = re.compile(r"\b(?:found|extra|surplus|more than|discovered|turned up)\b", re.IGNORECASE)
REASON = re.compile(r"\b(found|extra|lost|missing|stolen|broke|broken|damaged|smashed|torn|spoiled)\b", re.IGNORECASE)


def _stock_change(base: str, answers: list[str], messages: Sequence[BaseMessage], tools: frozenset[str]) -> AIMessage:
    last = messages[-1]
    if isinstance(last, ToolMessage) and last.name == "adjust_stock":
        return _rendered("adjust_stock", _result(last))
    wants = _wants(REASON.sub(" ", base), answers) or []
    if not wants or "adjust_stock" not in tools:
        return AIMessage(content="Which product and how many? For example: 'we found 2 extra mugs'.")
    want = wants[0]
    reason = REASON.search(base)
    sign = 1 if GAIN.search(base) else -1
    word = reason.group(1).lower() if reason else "counted"
    sku = SKU.search(base)
    if sku:
        return _call("adjust_stock", {"sku": sku.group(0), "delta": sign * want.quantity, "reason": word})
    return _on_variant(
        want, messages, lambda sku: _call("adjust_stock", {"sku": sku, "delta": sign * want.quantity, "reason": word})
    )


# --- reads: orders, customers, analytics -----------------------------------------------

STATUSES = {
    "pending": "pending",
    "confirmed": "confirmed",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "returned": "returned",
}
BREAKDOWNS = (
    (re.compile(r"\bby (?:product|item)s?\b|\bper product\b|\bwhich products?\b", re.I), "product"),
    (re.compile(r"\bby categor(?:y|ies)\b|\bper category\b", re.I), "category"),
    (re.compile(r"\bby channels?\b|\bper channel\b|\bwhatsapp vs\b", re.I), "channel"),
    (
        re.compile(r"\bby (?:payment(?: method)?|how (?:they|customers) paid)\b|\bpayment methods?\b", re.I),
        "payment_method",
    ),
    (
        re.compile(
            r"\bby (?:staff|employee|seller|salesperson|cashier|team member)s?\b|\bwho sold\b|\bper staff\b|"
            r"\bsold by\b",
            re.I,
        ),
        "staff",
    ),
)
MARGIN_OF = re.compile(
    r"\b(?:margins?|markup|how much (?:do|did) (?:i|we) make)\s+(?:on|of|for)\s+"
    r"(?:the\s+|a\s+|an\s+|my\s+|our\s+)?(.+)",
    re.IGNORECASE,
)
CUSTOMER_NAME = re.compile(
    r"\bcustomers?\s+(?:named\s+|called\s+)?(.+)$|^(?:find|look up|search for|who is)\s+(.+)$", re.IGNORECASE
)
POSSESSIVE = re.compile(r"\b([A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)'s\s+(?:orders?|returns?|purchases)")
CUSTOMER_FILLER = re.compile(
    r"\b(?:customers?|orders?|returns?|purchases|of|for|the|find|show|me|list|what|did|has|have|bought|returned|"
    r"whose|phone|number|is|email|please|look|up|search|who|are)\b|[?!.]",
    re.IGNORECASE,
)


BEFORE_THAT = re.compile(r"\b(?:before (?:that|this|it)|the (?:one|period) before|previous one|prior one)\b", re.I)


def _period(base: str, answers: list[str]) -> dict[str, Any] | None:
    """The period of the request as changed by follow-ups ("and last week?", "and the month before that?")."""
    spec = period_in(base)
    for answer in answers:
        spec = period_in(answer) or (earlier(spec or {"period": "this_month"}) if BEFORE_THAT.search(answer) else spec)
    return spec


def _analytics(text: str, tools: frozenset[str], said: dict[str, Any] | None = None) -> AIMessage:
    if re.search(r"\b(?:best|worst|top|bottom|slowest|most)\b", text, re.IGNORECASE):
        named = said or period_in(text)  # "best sellers last month": that month's products, ranked
        return _call("get_sales_breakdown", {"by": "product", **named}) if named else _call("get_top_products", {})
    margin_of = MARGIN_OF.search(text)
    if margin_of and period_in(margin_of.group(1)) is None:
        phrase = product_phrase(margin_of.group(1))
        if phrase:
            return _call("get_product_margin", {"product": phrase})
    if re.search(r"\b(?:compare|compared|vs\.?|versus|against)\b", text, re.IGNORECASE):
        both = two_periods_in(text)
        if both is None:
            one = period_in(text) or {"period": "this_month"}
            both = (one, earlier(one))  # "last week with the week before"
        return _call("compare_profit_and_loss", {"current": both[0], "previous": both[1]})
    period = said or period_in(text) or {"period": "this_month"}
    for pattern, by in BREAKDOWNS:
        if pattern.search(text):
            return _call("get_sales_breakdown", {"by": by, **period})
    if re.search(r"\b(?:dashboard|kpis?|overview)\b", text, re.IGNORECASE) and "period" not in text:
        return _call("get_dashboard", {})
    return _call("get_profit_and_loss", period)


def _list_orders(text: str, said: dict[str, Any] | None = None) -> AIMessage:
    args: dict[str, Any] = dict(said or period_in(text) or {})
    status = next((STATUSES[w.lower()] for w in re.findall(r"[A-Za-z]+", text) if w.lower() in STATUSES), None)
    if status:
        args["status"] = status
    return _call("list_orders", args)


def _customers(text: str) -> AIMessage:
    possessive = POSSESSIVE.search(text)
    named = CUSTOMER_NAME.search(text)
    raw = possessive.group(1) if possessive else (named.group(1) or named.group(2)) if named else ""
    who = " ".join(CUSTOMER_FILLER.sub(" ", raw).split())
    if not who:
        return AIMessage(content="Which customer? Give me a name, phone number or email.")
    if re.search(r"\breturn", text, re.IGNORECASE):
        return _call("get_customer_returns", {"customer": who})
    if re.search(r"\b(?:orders?|purchases|bought)\b", text, re.IGNORECASE):
        args: dict[str, Any] = {"customer": who}
        status = next((STATUSES[w.lower()] for w in re.findall(r"[A-Za-z]+", text) if w.lower() in STATUSES), None)
        if status:
            args["status"] = status
        return _call("get_customer_orders", args)
    return _call("find_customers", {"query": who})


# --- how a specialist answers a request ----------------------------------------------------


def _rendered(tool: str, result: Any) -> AIMessage:
    if isinstance(result, str):  # a refusal or an argument error, worded for people
        return AIMessage(content="Sorry: " + REFUSAL.sub("", result))
    return AIMessage(content=render(tool, result))


def _start(intent: Intent, text: str, tools: frozenset[str], answers: list[str]) -> AIMessage:
    """The specialist's first move for a request (`answers`: the follow-ups said since)."""
    number = order_number_in(text)
    if intent.name == "cancel_order" and "cancel_order" in tools and number:
        return _call("cancel_order", {"order_number": number})
    address = NEW_ADDRESS.search(text)
    if intent.name == "change_address" and "change_delivery_address" in tools and number and address:
        return _call("change_delivery_address", {"order_number": number, "address": address.group(1).strip(" .")})
    if intent.name in ("return_items", "request_return") and "return_items" in tools and number:
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
        reason = _reason_of(adjustment)
        return _call("adjust_stock", {"sku": sku.group(0), "delta": int(adjustment.group(1)), "reason": reason})
    if intent.name == "order_status" and "get_order_status" in tools and number:
        return _call("get_order_status", {"order_number": number})
    if intent.name == "list_orders" and "list_orders" in tools:
        return _list_orders(text, _period(text, answers))
    if intent.name == "customers" and "find_customers" in tools:
        return _customers(text)
    if intent.name == "business_info" and "get_business_info" in tools:
        return _call("get_business_info", {})
    if intent.name == "low_stock" and "list_low_stock" in tools:
        return _call("list_low_stock", {})
    if intent.name == "analytics" and "get_profit_and_loss" in tools:
        return _analytics(text, tools, _period(text, answers))
    if intent.name == "stock" and "check_stock" in tools:
        if sku:
            return _call("check_stock", {"sku": sku.group(0)})
        phrase = product_phrase(text)
        if phrase:
            return _call("check_product_stock", {"product": phrase})
    phrase = product_phrase(text)
    if phrase and "search_products" in tools:
        return _call("search_products", {"query": phrase})
    return AIMessage(content="Which product do you mean? Tell me its name or SKU.")


def _names_an_option(want: Want) -> bool:
    return any(w.lower() in SIZES or w.lower() in COLOURS for w in [*want.words.split(), *want.options])


def _follow_up(intent: Intent | None, request: str, tool: str, result: Any, tools: frozenset[str]) -> AIMessage:
    """After a tool answered: use the top search hit for the next call, or render the answer."""
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
    if isinstance(result, dict) and intent and intent.name == "request_return" and tool == "get_order_status":
        args = return_args(request, result)
        if args and "request_return" in tools:
            items = [{"sku": i["sku"], "quantity": i["quantity"]} for i in args["items"]]
            reason = "damaged" if args["items"][0]["damaged"] else ""
            return _call("request_return", {"order_number": args["order_number"], "items": items, "reason": reason})
    if isinstance(result, str):
        return _rendered(tool, result)
    if tool == "search_products" and result.get("matches") and intent is not None:
        top = result["matches"][0]["sku"]
        if intent.name == "discount" and "quote_discount" in tools:
            pct = percent_in(request) or "0"
            return _call(
                "quote_discount", {"discount_pct": pct, "items": [{"sku": top, "quantity": quantity_in(request)}]}
            )
    return _rendered(tool, result)


def _is_answer(text: str) -> bool:
    """Whether a message only answers the question just asked ("M", "the blue one", "make it 3")."""
    intent = classify(text)
    if intent is None:
        return True
    if intent.name not in ("order", "product"):
        return False
    rest = product_phrase(REVISION_FILLER.sub(" ", normalize(text))).split()
    return all(w.isdigit() or w.lower() in SIZES or w.lower() in COLOURS for w in rest)


def _supervise(messages: Sequence[BaseMessage], tools: frozenset[str]) -> AIMessage:
    """The supervisor's move: route the user's message to a specialist, carrying the earlier
    request along when the message answers that specialist's question."""
    agents = [name.removeprefix("ask_") for name in sorted(tools) if name.startswith("ask_")]
    if messages and isinstance(messages[-1], ToolMessage):  # a specialist answered: pass it on as it is
        return AIMessage(content=str(messages[-1].content))
    text = _first_request(messages)
    previous = _question_asked(messages)
    if previous is not None and _is_answer(text):
        agent, request = previous
        return _call(f"ask_{agent}", {"request": request + ANSWER_MARK + text})
    intent = classify(text)
    earlier_request = _earlier_request(messages) if intent is None else None
    if earlier_request is not None and earlier_request[0] in agents and (period_in(text) or BEFORE_THAT.search(text)):
        agent, request = earlier_request  # "and last week?": the same question for another period
        return _call(f"ask_{agent}", {"request": request + ANSWER_MARK + text})
    if intent is None:
        return AIMessage(content="Sorry, I can't do that yet, or I did not understand it. " + help_for(agents))
    if intent.name == "greeting":
        return AIMessage(content=GREETING + help_for(agents))
    if f"ask_{intent.agent}" in tools:
        return _call(f"ask_{intent.agent}", {"request": text})
    return AIMessage(content="Sorry, I cannot help with that here yet. " + help_for(agents))


def _earlier_request(messages: Sequence[BaseMessage]) -> tuple[str, str] | None:
    """(specialist, request) of the last request handed to a specialist before this message."""
    call = next((m for m in reversed(messages[:-1]) if isinstance(m, AIMessage) and m.tool_calls), None)
    if call is None or not call.tool_calls[0]["name"].startswith("ask_"):
        return None
    first = call.tool_calls[0]
    return first["name"].removeprefix("ask_"), str(first["args"].get("request", ""))


def _question_asked(messages: Sequence[BaseMessage]) -> tuple[str, str] | None:
    """(specialist, request) when the turn before this message ended with that specialist's question."""
    earlier = list(messages[:-1])
    if not earlier or not isinstance(earlier[-1], ToolMessage) or not str(earlier[-1].content).rstrip().endswith("?"):
        return None
    call = next((m for m in reversed(earlier) if isinstance(m, AIMessage) and m.tool_calls), None)
    if call is None or not call.tool_calls[0]["name"].startswith("ask_"):
        return None
    first = call.tool_calls[0]
    return first["name"].removeprefix("ask_"), str(first["args"].get("request", ""))


def _specialise(messages: Sequence[BaseMessage], tools: frozenset[str]) -> AIMessage:
    """A specialist's move for the request it was handed."""
    base, *answers = normalize(_first_request(messages)).split(ANSWER_MARK)
    intent = classify(base)
    if intent is not None and intent.name == "order" and "place_order" in tools:
        return _ordering(base, answers, messages, tools)
    if intent is not None and intent.name == "stock_change":
        return _stock_change(base, answers, messages, tools)
    named = _by_name(intent, base, answers, messages, tools) if intent is not None else None
    if named is not None:
        return named
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return _follow_up(intent, base, str(last.name), _result(last), tools)
    if intent is None:
        return AIMessage(content="Sorry, I did not catch that.")
    return _start(intent, base, tools, answers)


def _by_name(
    intent: Intent, base: str, answers: list[str], messages: Sequence[BaseMessage], tools: frozenset[str]
) -> AIMessage | None:
    """Requests naming products by their words rather than a SKU: stock writes, the stock of one
    variant ("how many blue mugs"), several products' prices; None for the others."""
    if SKU.search(base):
        return None
    if (intent.name == "adjust_stock" and "adjust_stock" in tools) or (
        intent.name == "receive_stock" and "record_receipt" in tools
    ):
        return _named_stock_write(intent.name, base, answers, messages)
    wants = wants_in(base)
    if intent.name == "stock" and "check_stock" in tools and len(wants) == 1 and _names_an_option(wants[0]):
        last = messages[-1]
        if isinstance(last, ToolMessage) and last.name == "check_stock":
            return _rendered("check_stock", _result(last))
        return _on_variant(wants[0], messages, lambda sku: _call("check_stock", {"sku": sku}))
    if intent.name == "product" and "search_products" in tools and len(wants) > 1:
        return _lookups(wants, messages)
    return None


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
        if any(name.startswith("ask_") for name in tools):
            return _supervise(messages, tools)
        return _specialise(messages, tools)
