"""What a request is about: the intents the offline model knows, by keyword patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


# Checked in order: the first match wins.
INTENTS = (
    Intent("greeting", "", words("hi", "hello", "hey", "good (?:morning|afternoon|evening)", "thanks", "thank you")),
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
    Intent("discount", "discount", words("discount", r"\d+(?:\.\d+)?\s*%", "percent", "cheaper", "deal", "off")),
    Intent(
        "analytics",
        "analytics",
        words(
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
    Intent("stock_aging", "stock", words("stock age?ing", "age?ing", "how old is (?:the |our )?stock")),
    Intent("inventory_value", "stock", words("inventory (?:value|valuation|worth)", "stock (?:value|worth)", "worth")),
    Intent("reorder", "stock", words("reorder", "re-order", "restock")),
    Intent("order_status", "sales", re.compile(r"\border\s*(?:number|no\.?|#)?\s*#?\s*\d{3,}", re.IGNORECASE)),
    Intent("order", "sales", words("buy", "purchase", "i'll take", "i will take", "place an order", "order")),
    Intent("low_stock", "stock", words("low on stock", "low stock", "running out", "out of stock")),
    Intent("stock", "stock", words("stock", "how many", "inventory", "units left", "on hand")),
    Intent("business_info", "sales", words("open", "close", "closing", "hours", "return policy", "refund", "returns?")),
    Intent("product", "sales", words("price", "cost", "how much", "have", "sell", "looking for", "want", "show")),
)


def classify(text: str) -> Intent | None:
    """The first intent whose words appear in `text`."""
    return next((intent for intent in INTENTS if intent.pattern.search(text)), None)
