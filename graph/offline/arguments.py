"""Tool arguments read from a request's words: quantities, percentages, order numbers, SKUs,
addresses and the product phrase."""

from __future__ import annotations

import re
from typing import Any

from graph.offline.intents import words

FILLER = words(
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
    "was",
    "were",
    "got",
    "been",
    "has",
    "just",
    "our",
    "us",
    "more",
    "than",
    "expected",
    "from",
    "at",
    "this",
    "these",
    "those",
    "today",
    "yesterday",
    "which",
    "sizes?",
    "colou?rs?",
    "all",
    "every",
    "each",
    "size",
    "am",
    "could",
    "wants",
    "them",
    "customer",
)
DELIVERY = re.compile(r"\b(?:deliver(?:ed)?|send(?: it)?|ship(?: it)?)\s+to\s+(.+)$", re.IGNORECASE)
REFUSAL = re.compile(r"^refused \(\w+\):\s*")
NEW_ADDRESS = re.compile(r"\border\b\D*\d{3,}\s+to\s+(.+)$", re.IGNORECASE)
ADJUSTMENT = re.compile(r"\bby\s+([+-]?\d{1,7})\b(?:\s*(?:units?)?\s*(?:,|because|for|-)?\s*(.*))?$", re.IGNORECASE)
NEW_ITEMS = re.compile(r"\border\b\D*\d{3,}\s+to\s+(.+)$", re.IGNORECASE)
UNIT_COST = re.compile(r"\bat\s+\D?(\d{1,9}(?:\.\d{1,4})?)\b", re.IGNORECASE)
EXCHANGE_FOR = re.compile(r"\bfor\s+(?:a\s+|an\s+)?(\b[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b)")
DAMAGED = words("damaged", "broken", "faulty", "torn")
SKU = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b|\b[A-Z]{2,}\d{2,}\b")


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
    """The first small whole number not a percentage and not in the address (default 1)."""
    match = re.search(r"\b(\d{1,4})\b(?!\s*(?:%|per\s?cent)|\.\d)", DELIVERY.split(text)[0], re.IGNORECASE)
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


def return_args(request: str, order: dict[str, Any]) -> dict[str, Any] | None:
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
