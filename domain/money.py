"""Decimal helpers: money is quantized to cents, costs to 4 places, half-up like a till."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def cents(value: Decimal | int) -> Decimal:
    """Round to whole cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(value: Decimal | int) -> Decimal:
    """Round a unit cost to 4 decimal places."""
    return Decimal(value).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, pct: Decimal) -> Decimal:
    """`pct` percent of `amount`, in cents."""
    return cents(amount * pct / HUNDRED)
