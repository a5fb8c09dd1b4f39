"""Pure costing and pricing rules, no I/O."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import costing, pricing
from domain.errors import PolicyViolation, ValidationFailed
from domain.models import ApprovalStatus

D = Decimal


def test_weighted_average_follows_the_reference_vector() -> None:
    avg = costing.average_after_receipt(0, D(0), 8, D(10))
    assert avg == D(10)
    avg = costing.average_after_receipt(8, avg, 4, D(16))
    assert avg == D(12)
    assert costing.valuation(2, avg) == D("24.00")


def test_an_empty_shelf_takes_the_incoming_cost_as_average() -> None:
    assert costing.average_after_receipt(0, D("99"), 3, D("4.50")) == D("4.5000")


def test_fifo_takes_the_oldest_layers_first() -> None:
    assert costing.consume_fifo([(1, 3), (2, 5), (3, 4)], 6) == [(1, 3), (2, 3)]


def test_fifo_refuses_to_take_more_than_the_layers_hold() -> None:
    with pytest.raises(ValueError, match="short by 2"):
        costing.consume_fifo([(1, 3)], 5)


POLICY = pricing.DiscountPolicy(max_pct=D(20), auto_approve_pct=D(10))


def test_a_discount_within_the_threshold_needs_no_approval() -> None:
    assert pricing.check_discount(POLICY, D(10)) is ApprovalStatus.NOT_NEEDED


def test_a_discount_between_threshold_and_cap_needs_the_owner() -> None:
    assert pricing.check_discount(POLICY, D("10.01")) is ApprovalStatus.PENDING


def test_a_discount_above_the_cap_is_refused_naming_the_cap() -> None:
    with pytest.raises(PolicyViolation, match="cap of 20%"):
        pricing.check_discount(POLICY, D("20.5"))


def test_a_negative_discount_is_invalid() -> None:
    with pytest.raises(ValidationFailed):
        pricing.check_discount(POLICY, D(-1))


def test_order_discount_is_allocated_to_lines_and_adds_up_exactly() -> None:
    totals = pricing.price_order([(1, D("10.00")), (2, D("3.33")), (3, D("0.99"))], D("7.5"), D(5))
    assert totals.subtotal == D("19.63")
    assert totals.discount_amount == D("1.47")
    assert sum(line.discount_amount for line in totals.lines) == totals.discount_amount
    assert sum(line.line_total for line in totals.lines) == totals.total == D("18.16")
    assert totals.commission_amount == D("0.91")


def test_refunds_in_parts_add_up_to_the_line_total() -> None:
    line_total, quantity = D("29.99"), 3
    parts = [pricing.refund_for(1, quantity, line_total, done) for done in range(quantity)]
    assert sum(parts) == line_total
