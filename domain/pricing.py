"""Pure pricing rules: the discount cap, order totals, commission and refunds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import PolicyViolation, ValidationFailed
from domain.models import ApprovalStatus
from domain.money import ZERO, cents, check_money, percent_of


@dataclass(frozen=True)
class DiscountPolicy:
    """A client's discount rule: auto-approved up to one threshold, owner-approved up to the cap."""

    max_pct: Decimal
    auto_approve_pct: Decimal


def percent_text(pct: Decimal) -> str:
    """A percentage without trailing zeros: 20.00 -> "20", 12.50 -> "12.5"."""
    return f"{pct.normalize():f}"


def check_discount(policy: DiscountPolicy, pct: Decimal) -> ApprovalStatus:
    """Decide a requested discount: allowed, needs owner approval, or refused above the cap.

    A request above the cap is refused (never clamped) with the cap named in the message.
    """
    if pct < 0:
        raise ValidationFailed("a discount cannot be negative")
    if pct > policy.max_pct:
        cap = percent_text(policy.max_pct)
        raise PolicyViolation(
            f"a {percent_text(pct)}% discount is above this business's cap of {cap}%; offer at most {cap}%",
            max_discount_pct=str(policy.max_pct),
            requested_pct=str(pct),
        )
    if pct == 0:
        return ApprovalStatus.NOT_NEEDED
    if pct > policy.auto_approve_pct:
        return ApprovalStatus.PENDING
    return ApprovalStatus.NOT_NEEDED


@dataclass(frozen=True)
class PricedLine:
    """One line's money: subtotal, its share of the order discount, and what remains."""

    quantity: int
    unit_price: Decimal
    line_subtotal: Decimal
    discount_amount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class OrderTotals:
    """An order's money, derived from its lines; nothing here comes from the caller."""

    lines: list[PricedLine]
    subtotal: Decimal
    discount_amount: Decimal
    total: Decimal
    commission_amount: Decimal


def price_order(lines: list[tuple[int, Decimal]], discount_pct: Decimal, commission_pct: Decimal) -> OrderTotals:
    """Price `(quantity, unit_price)` lines with an order-level discount and sales commission.

    The discount is allocated to lines in proportion to their subtotals (the last line takes the
    rounding remainder), so partial refunds return exactly each line's share. A subtotal too large
    for a money column is refused (every other amount is at most the subtotal).
    """
    subtotals = [cents(qty * price) for qty, price in lines]
    subtotal = check_money(sum(subtotals, ZERO), "the order's subtotal")
    discount = percent_of(subtotal, discount_pct)
    priced: list[PricedLine] = []
    allocated = ZERO
    for index, ((qty, price), line_subtotal) in enumerate(zip(lines, subtotals, strict=True)):
        is_last = index == len(lines) - 1
        share = discount - allocated if is_last else (cents(discount * line_subtotal / subtotal) if subtotal else ZERO)
        allocated += share
        priced.append(PricedLine(qty, price, line_subtotal, share, line_subtotal - share))
    total = subtotal - discount
    return OrderTotals(priced, subtotal, discount, total, percent_of(total, commission_pct))


def refund_for(quantity: int, line_quantity: int, line_total: Decimal, already_refunded_quantity: int) -> Decimal:
    """The refund for returning `quantity` units of a line: its net (after-discount) share.

    The last units returned take whatever remains of the line total, so a line fully returned in
    several parts refunds exactly its total.
    """
    before = cents(line_total * already_refunded_quantity / line_quantity)
    after = cents(line_total * (already_refunded_quantity + quantity) / line_quantity)
    return after - before
