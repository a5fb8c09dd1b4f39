"""Decimal helpers: money is quantized to cents, costs to 4 places, half-up like a till."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.errors import ValidationFailed

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount a money column (NUMERIC(14, 2)) holds."""
MAX_UNIT_COST = Decimal("9999999999.9999")
"""The largest unit cost a cost column (NUMERIC(14, 4)) holds."""


def cents(value: Decimal | int) -> Decimal:
    """Round to whole cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(value: Decimal | int) -> Decimal:
    """Round a unit cost to 4 decimal places."""
    return Decimal(value).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, pct: Decimal) -> Decimal:
    """`pct` percent of `amount`, in cents."""
    return cents(amount * pct / HUNDRED)


def check_money(amount: Decimal | int, what: str) -> Decimal:
    """`amount`, or ValidationFailed naming `what` and the limit when no money column can hold it
    (checked before the insert, so the caller gets a clear 422, not a database overflow)."""
    if abs(amount) > MAX_AMOUNT:
        raise ValidationFailed(f"{what} would be {cents(amount)}, above the largest amount recorded ({MAX_AMOUNT})")
    return Decimal(amount)
