"""What an order request asks for: one or several products with their quantities, sizes and
colours, changed by later answers ("make it 3", "in L", "add a tote bag") before the yes; and
which variant each one is, or the question to ask when several fit (never a silent pick)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from graph.offline.arguments import DELIVERY, product_phrase, quantity_in

ANSWER_MARK = " -- then: "
"""Joins a request and the user's answers to the questions it raised, when the supervisor passes a
follow-up on ("I want a linen shirt -- then: L")."""

SIZES = {
    "xxs": "xxs",
    "xs": "xs",
    "s": "s",
    "m": "m",
    "l": "l",
    "xl": "xl",
    "xxl": "xxl",
    "small": "s",
    "medium": "m",
    "large": "l",
    "xlarge": "xl",
}
COLOURS = frozenset(
    [
        "black",
        "white",
        "grey",
        "gray",
        "blue",
        "navy",
        "red",
        "green",
        "yellow",
        "pink",
        "purple",
        "orange",
        "brown",
        "beige",
        "cream",
        "khaki",
        "olive",
        "teal",
        "maroon",
        "silver",
        "gold",
        "charcoal",
    ]
)
SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bplus\b|&|\balso\b)\s*", re.IGNORECASE)
ADD = re.compile(r"^\s*(?:and\s+)?(?:add|also|plus|another|1 more|and)\b", re.IGNORECASE)
NO = re.compile(
    r"^\s*(?:no|nope|nah|cancel|stop|forget it|never ?mind|don'?t|not now)\b"
    r"(?!.*\b(?:but|instead|make|add|change|rather|actually|in|size)\b)(?!.*\d)",
    re.IGNORECASE,
)
"""A plain no: nothing after it changes the order ("no, not now"; not "no, make it 3")."""
REVISION_FILLER = re.compile(
    r"\b(?:actually|instead|make|it|them|that|change|to|rather|please|sorry|the|one|ones|only|just|i|want|"
    r"in|size|colou?r|a|an|of|no|yes|but|let'?s|do|go|with|for)\b",
    re.IGNORECASE,
)
FOR_CUSTOMER = re.compile(
    r"\bfor\s+(?:(?:the\s+)?customer\s+)?((?:\+?\d[\d\s-]{6,}\d)|(?:[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?))",
)
SIZE_SAID = re.compile(r"\b(?:in\s+)?(?:size|sz|eu)\s+(\w{1,4})\b", re.IGNORECASE)
ON_BEHALF = re.compile(r"\bon behalf of\s+(\S+(?:\s+[A-Z][\w'-]+)?)", re.IGNORECASE)


def _option_word(word: str) -> str:
    return SIZES.get(word.lower(), word.lower())


@dataclass(frozen=True)
class Want:
    """One product asked for: how many, its words, and size/colour words said later."""

    quantity: int
    words: str
    options: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """The search words: the product words without sizes and colours (options the catalog may
        spell otherwise; `choose` reads them)."""
        kept = [w for w in self.words.split() if w.lower() not in SIZES and w.lower() not in COLOURS]
        return " ".join(kept) or self.words


def customer_named(text: str) -> str | None:
    """Staff ordering for someone: "for Alice Smith", "for customer +234...", "on behalf of Bob"."""
    match = ON_BEHALF.search(text) or FOR_CUSTOMER.search(DELIVERY.split(text)[0])
    return match.group(1).strip() if match else None


def wants_in(text: str) -> list[Want]:
    """The products a request asks for, in the order said."""
    body = DELIVERY.split(text)[0]
    body = ON_BEHALF.sub(" ", FOR_CUSTOMER.sub(" ", body))
    body = re.sub(r"\d+(?:\.\d+)?\s*(?:%|percent)(?:\s+off)?", " ", body, flags=re.IGNORECASE)
    wants = []
    for segment in SPLIT.split(body):
        sized = SIZE_SAID.search(segment)  # "size 42": a size, not a quantity
        segment = SIZE_SAID.sub(" ", segment)
        words = " ".join(w for w in product_phrase(segment).split() if not w.isdigit())
        if words:
            wants.append(Want(quantity_in(segment), words, (sized.group(1),) if sized else ()))
    return wants


def revise(wants: list[Want], answer: str) -> list[Want] | None:
    """The wants after the user's answer to a summary or a question; None when they said no."""
    if NO.match(answer):
        return None
    if ADD.match(answer):
        added = wants_in(ADD.sub(" ", answer))
        merged = list(wants)
        for new in added:
            same = next((i for i, w in enumerate(merged) if set(new.words.split()) <= set(w.words.split())), None)
            if same is None:
                merged.append(new)
            else:
                merged[same] = replace(merged[same], quantity=merged[same].quantity + new.quantity)
        return merged
    if not wants:
        return wants_in(answer)
    rest = product_phrase(REVISION_FILLER.sub(" ", answer))
    words = [w for w in rest.split() if not w.isdigit()]
    number = re.search(r"\b\d{1,4}\b", answer)
    last = wants[-1]
    if not words and number:  # "make it 3"
        return [*wants[:-1], replace(last, quantity=int(number.group(0)))]
    optional = all(w.lower() in SIZES or w.lower() in COLOURS for w in words)
    if words and (optional or (len(words) <= 2 and not re.search(r"\b(?:instead|rather)\b", answer, re.I))):
        quantity = int(number.group(0)) if number else last.quantity
        return [*wants[:-1], replace(last, quantity=quantity, options=(*last.options, *words))]
    if words:  # another product instead of the last one
        return [*wants[:-1], *wants_in(re.sub(r"\b(?:instead|rather|actually)\b", " ", answer, flags=re.I))]
    return wants


@dataclass(frozen=True)
class Choice:
    """Which SKU a want is, or what to ask."""

    sku: str | None
    question: str | None = None


def _values(match: dict[str, Any]) -> dict[str, str]:
    return {key: _option_word(str(value)) for key, value in (match.get("options") or {}).items()}


def choose(want: Want, matches: list[dict[str, Any]]) -> Choice:
    """The variant of the best-matching product that fits the words said; a question when several
    fit or none does (never a silent pick)."""
    if not matches:
        return Choice(None, f"I found nothing matching '{want.words}'. Which product do you mean?")
    said = [*want.words.split(), *want.options]
    colours = [w.lower() for w in said if w.lower() in COLOURS]
    named = [m for m in matches if all(c in m["product"].lower().split() for c in colours)]
    product = (named or matches)[0]["product"]
    candidates = [m for m in matches if m["product"] == product]
    if len(candidates) == 1 and not want.options:
        return Choice(candidates[0]["sku"])
    keys_of = {value: key for m in candidates for key, value in _values(m).items()}
    mentioned: dict[str, str] = {}
    for word in (_option_word(w) for w in said):
        if word in keys_of:
            mentioned[keys_of[word]] = word  # a later word of the same kind wins ("M", then "L")
    in_name = set(product.lower().split())
    unknown = [
        w
        for w in said
        if (w.lower() in SIZES or w.lower() in COLOURS) and _option_word(w) not in keys_of and w.lower() not in in_name
    ]
    fits = [m for m in candidates if all(_values(m).get(k) == v for k, v in mentioned.items())]
    if len(fits) == 1 and not unknown:
        return Choice(fits[0]["sku"])
    offered = fits if fits and not unknown else candidates
    listed = ", ".join(f"{m['sku']} ({', '.join(m['options'].values())}, {m['in_stock']} in stock)" for m in offered)
    lead = f"{product} does not come in {' '.join(unknown)}. " if unknown else ""
    kinds = " and ".join(sorted({key for m in offered for key in (m.get("options") or {})})) or "one"
    return Choice(None, f"{lead}Which {product} would you like: {listed} — which {kinds}?")
