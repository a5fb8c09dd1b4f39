"""Pure inventory-costing rules: weighted-average cost, valuation, FIFO layer consumption."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from domain.money import cents, unit_cost


def average_after_receipt(on_hand: int, avg_cost: Decimal, quantity: int, cost: Decimal) -> Decimal:
    """Weighted-average cost after receiving `quantity` at `cost`.

    avg = (old_qty*old_avg + in_qty*in_cost) / (old_qty + in_qty); when stock was <= 0 the
    incoming cost becomes the average. Issues never call this: they leave the average unchanged.
    """
    if quantity <= 0:
        raise ValueError("a receipt adds a positive quantity")
    if on_hand <= 0:
        return unit_cost(cost)
    return unit_cost((on_hand * avg_cost + quantity * cost) / (on_hand + quantity))


def valuation(on_hand: int, avg_cost: Decimal) -> Decimal:
    """What the stock of one SKU is worth on the books: round(on_hand × average cost, 2)."""
    return cents(on_hand * avg_cost)


def value_change(on_hand_before: int, avg_before: Decimal, on_hand_after: int, avg_after: Decimal) -> Decimal:
    """The signed change of book value a movement causes; journal postings use exactly this,
    so the inventory account always equals Σ valuation to the cent."""
    return valuation(on_hand_after, avg_after) - valuation(on_hand_before, avg_before)


def consume_fifo(layers: Iterable[tuple[int, int]], quantity: int) -> list[tuple[int, int]]:
    """Take `quantity` from `(layer_id, remaining)` pairs, oldest first; return `(layer_id, taken)`.

    Raises ValueError if the layers hold less than `quantity` (the caller checked stock first).
    """
    taken: list[tuple[int, int]] = []
    left = quantity
    for layer_id, remaining in layers:
        if left == 0:
            break
        take = min(remaining, left)
        if take > 0:
            taken.append((layer_id, take))
            left -= take
    if left:
        raise ValueError(f"receipt layers are short by {left} units")
    return taken
