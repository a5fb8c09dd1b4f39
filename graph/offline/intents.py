"""What a request is about: the intents the offline model knows, by keyword patterns over the
request's words after `normalize` (contractions expanded, number words as digits, one-letter
typos of the keywords corrected by the domain's tolerant-search rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.search import correct_words
from graph.offline.periods import MONTHS

EXAMPLES = {
    "sales": (
        "products and prices ('do you have linen shirts?'), ordering ('I want 2 linen shirts in M and a tote "
        "bag'), your orders ('my orders', 'where is order 1042?'), changing or cancelling an order ('cancel "
        "order 1042'), returns ('return 1 item from order 1042', 'request a return of order 1042') and our hours"
    ),
    "discount": "discounts ('can I get 10% off 2 tote bags?')",
    "stock": (
        "stock ('how many linen shirts in stock?', 'what is running low?', 'we found 2 extra mugs', "
        "'receive 20 CCTS00-M at 6.50', 'what should I reorder?')"
    ),
    "customers": "customers ('find customer Alice', 'orders of customer Alice')",
    "analytics": (
        "the numbers ('profit last month', 'compare this month with last month', 'sales by category this "
        "week', 'margin on the linen shirt', 'best sellers', 'stock aging', 'inventory value')"
    ),
}


def help_for(agents: list[str]) -> str:
    """What this user can ask, listing only the specialists they may reach."""
    return "I can help with: " + "; ".join(EXAMPLES[a] for a in agents if a in EXAMPLES) + "."


HELP = help_for(list(EXAMPLES))
GREETING = "Hello! "


@dataclass(frozen=True)
class Intent:
    """A kind of request: which specialist handles it and the words that signal it."""

    name: str
    agent: str
    pattern: re.Pattern[str]


def words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


PERIOD_WORDS = r"(?:today|yesterday|this|last|from|in|between|placed|since|so far)"
# Checked in order: the first match wins.
INTENTS = (
    Intent(
        "greeting",
        "",
        re.compile(
            r"^\W*(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you)\b"
            r"(?!.*\b(?:buy|order|want|how|what|where|do you)\b)",
            re.IGNORECASE,
        ),
    ),
    Intent("cancel_order", "sales", re.compile(r"\bcancel\b.*\border\b\D*\d{3,}", re.IGNORECASE)),
    Intent(
        "change_address",
        "sales",
        re.compile(r"\b(?:change|update)\b.*\baddress\b.*\border\b\D*\d{3,}.*\bto\s+\S", re.IGNORECASE),
    ),
    Intent("change_items", "sales", re.compile(r"\bchange\b.*\border\b\D*\d{3,}\s+to\s+\d", re.IGNORECASE)),
    Intent(
        "request_return",
        "sales",
        re.compile(
            r"\b(?:return request|request (?:a |to )?return|send (?:\w+ )?back|ship (?:\w+ )?back|post (?:\w+ )?back)"
            r"\b.*\border\b\D*\d{3,}|\border\b\D*\d{3,}.*\b(?:return request|send (?:\w+ )?back)\b",
            re.IGNORECASE,
        ),
    ),
    Intent("return_items", "sales", re.compile(r"\b(?:return|exchange)\b.*\border\b\D*\d{3,}", re.IGNORECASE)),
    Intent("adjust_stock", "stock", re.compile(r"\badjust\b.*\bby\s+[+-]?\d+", re.IGNORECASE)),
    Intent("receive_stock", "stock", re.compile(r"\breceived?\b.*\d.*\bat\s+\D?\d", re.IGNORECASE)),
    Intent(  # staff taking an order for a named customer
        "order",
        "sales",
        re.compile(
            r"\b(?:buy|order|place)\b.*\b(?:for (?:the |a |an )?(?:walk-?in |new )?customer|on behalf of)\b", re.I
        ),
    ),
    Intent(
        "customers",
        "customers",
        re.compile(
            r"\bcustomers?\b(?!\s+(?:service|support))|(?-i:\b[A-Z][a-z]+'s\s+(?:orders?|returns?|purchases))",
            re.IGNORECASE,
        ),
    ),
    Intent(  # an order naming its discount ("buy 2 hoodies at 15% off") is still an order
        "order", "sales", re.compile(r"\b(?:buy|purchase|order)\b.*\d+(?:\.\d+)?\s*%", re.IGNORECASE)
    ),
    Intent("discount", "discount", words("discount", r"\d+(?:\.\d+)?\s*%", "percent", "cheaper", "deal", "off")),
    Intent(
        "list_orders",
        "sales",
        re.compile(
            r"\b(?:my|our|all|any|pending|confirmed|delivered|cancelled|canceled|returned|recent|open|new|unpaid)"
            r"\s+orders?\b(?!\s*(?:number|no\.?|#)?\s*#?\s*\d{3,})"
            rf"|\bhow many orders?\b|\borders\s+{PERIOD_WORDS}\b|\blist\b.*\borders\b|\borders\b\s*\??$",
            re.IGNORECASE,
        ),
    ),
    Intent(
        "analytics",
        "analytics",
        words(
            "profit",
            "profits",
            "p&l",
            "p & l",
            "margins?",
            "revenue",
            "turnover",
            "income",
            "earn(?:ed|ings)?",
            "dashboard",
            "kpis?",
            "best[- ]?sell\\w*",
            "top sell\\w*",
            "(?:sold|sells?|selling) (?:the )?(?:best|most)",
            "top products?",
            "worst products?",
            "sales",
            "sold by",
            "who sold",
            "compare",
            "vs",
            "versus",
            "how (?:are|did) we do\\w*",
            "how much (?:\\w+ ){0,2}(?:do|did|have) (?:we|i) (?:make|made|sell|sold|earn|earned)",
            "what (?:do|did|have) (?:we|i) (?:make|made|earn|earned|take|taken)",
            "markups?",
        ),
    ),
    Intent("stock_aging", "stock", words("stock age?ing", "age?ing", "how old is (?:the |our )?stock")),
    Intent("inventory_value", "stock", words("inventory (?:value|valuation|worth)", "stock (?:value|worth)", "worth")),
    Intent("reorder", "stock", words("reorder", "re-order", "restock")),
    Intent("order_status", "sales", re.compile(r"\border\s*(?:number|no\.?|#)?\s*#?\s*\d{3,}|#\s*\d{3,}", re.I)),
    Intent(
        "stock_change",
        "stock",
        words(
            "found", "lost", "missing", "stolen", "broke", "broken", "damaged", "smashed", "torn", "spoiled", "extra"
        ),
    ),
    Intent(
        "order",
        "sales",
        words(
            "buy",
            "purchase",
            "i will take",
            "place an order",
            "order",
            "wants?",
            "would like",
            "get me",
            "need",
            "can i (?:get|have|buy)",
            "give me",
        ),
    ),
    Intent("low_stock", "stock", words("low on stock", "low stock", "running out", "out of stock", "running low")),
    Intent("stock", "stock", words("stock", "how many", "inventory", "units left", "on hand")),
    Intent("business_info", "sales", words("open", "close", "closing", "hours", "return policy", "refund", "returns?")),
    Intent("product", "sales", words("price", "cost", "how much", "have", "sell", "looking for", "show", "sizes?")),
    Intent("order", "sales", re.compile(r"^\W*\d{1,4}\s+[a-z]", re.IGNORECASE)),  # "2 mugs please"
)

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "dozen": 12,
    "a dozen": 12,
    "half a dozen": 6,
    "a couple of": 2,
    "a couple": 2,
    "a pair of": 2,
    "a single": 1,
}
_NUMBER = re.compile(r"\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
THE_ONE = re.compile(r"\b((?:the|this|that|which|other)\s+(?:\w+\s+)?)ones?\b", re.IGNORECASE)
CONTRACTIONS = ((r"\bi'm\b", "i am"), (r"\bi'd\b", "i would"), (r"\bi'll\b", "i will"), (r"\bwhat's\b", "what is"))
SELL_NOW = re.compile(r"^(\W*(?:please\s+)?)sell\b(?=\s+(?:(?:me|us)\s+)?(?:\d|an?\b))", re.IGNORECASE)
"""A "sell 2 mugs" (staff at the till) or "sell me a mug": an order, unlike "do you sell mugs?"."""
VOCABULARY = sorted(
    set(
        [
            "profit",
            "profits",
            "revenue",
            "turnover",
            "income",
            "earnings",
            "dashboard",
            "margin",
            "margins",
            "compare",
            "versus",
            "sales",
            "price",
            "inventory",
            "stock",
            "order",
            "orders",
            "cancel",
            "return",
            "returns",
            "exchange",
            "discount",
            "percent",
            "cheaper",
            "customer",
            "customers",
            "receive",
            "received",
            "adjust",
            "reorder",
            "restock",
            "aging",
            "valuation",
            "deliver",
            "delivery",
            "address",
            "change",
            "hours",
            "closing",
            "refund",
            "policy",
            "yesterday",
            "today",
            "month",
            "week",
            "category",
            "channel",
            "payment",
            "method",
            "staff",
            "product",
            "products",
            "found",
            "missing",
            "stolen",
            "broken",
            "damaged",
            "smashed",
            "spoiled",
            "pending",
            "confirmed",
            "delivered",
            "cancelled",
            "returned",
            "request",
            "purchase",
            "running",
        ]
    )
    | {m for m in MONTHS if len(m) > 3}
)
"""Words a one-letter typo is corrected to; common short words are left out, so a product word
("coat") is never bent into a keyword ("cost")."""


def normalize(text: str) -> str:
    """The request with contractions expanded, number words as digits, a "sell 2 …" said as the
    order it is, and one-letter typos of the words the intents and periods look for corrected
    ("profti" → "profit")."""
    for pattern, expanded in CONTRACTIONS:
        text = re.sub(pattern, expanded, text, flags=re.IGNORECASE)
    text = THE_ONE.sub(r"\1", text)  # "the blue one" is a choice, not a quantity
    text = _NUMBER.sub(lambda m: str(NUMBER_WORDS[m.group(0).lower()]), text)
    text = SELL_NOW.sub(r"\1order", text)
    tokens = [t for t in re.findall(r"[A-Za-z]{4,}", text) if t.lower() not in VOCABULARY]
    corrections = correct_words([t.lower() for t in tokens], VOCABULARY)
    for token in tokens:
        fixed = corrections.get(token.lower())
        if fixed:
            text = re.sub(rf"\b{token}\b", fixed, text)
    return text


def classify(text: str) -> Intent | None:
    """The first intent whose words appear in `text` (normalized)."""
    text = normalize(text)
    return next((intent for intent in INTENTS if intent.pattern.search(text)), None)
