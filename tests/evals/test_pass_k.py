"""The metric maths: τ-bench's pass^k, percentiles, tool precision and recall, the cost estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evals.metrics import Prices, pass_hat_k, percentile, tool_precision_recall


def test_pass_k_is_the_mean_over_tasks_of_c_choose_k_over_n_choose_k() -> None:
    # task 1: 3 of 4 trials pass; task 2: 4 of 4; task 3: 0 of 4
    outcomes = [(3, 4), (4, 4), (0, 4)]
    assert pass_hat_k(outcomes, 1) == pytest.approx((3 / 4 + 1 + 0) / 3)
    assert pass_hat_k(outcomes, 2) == pytest.approx((3 / 6 + 1 + 0) / 3)  # C(3,2)/C(4,2) = 3/6
    assert pass_hat_k(outcomes, 3) == pytest.approx((1 / 4 + 1 + 0) / 3)  # C(3,3)/C(4,3) = 1/4
    assert pass_hat_k(outcomes, 4) == pytest.approx((0 + 1 + 0) / 3)


def test_pass_k_never_rises_with_k_and_a_deterministic_model_has_it_flat() -> None:
    mixed = [(2, 5), (5, 5), (4, 5), (1, 5)]
    values = [pass_hat_k(mixed, k) for k in range(1, 6)]
    assert values == sorted(values, reverse=True)
    deterministic = [(5, 5), (0, 5), (5, 5)]
    assert {round(pass_hat_k(deterministic, k), 9) for k in range(1, 6)} == {round(2 / 3, 9)}


def test_pass_k_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        pass_hat_k([(1, 2)], 3)
    with pytest.raises(ValueError, match="successes"):
        pass_hat_k([(3, 2)], 1)
    with pytest.raises(ValueError, match="at least one"):
        pass_hat_k([], 1)
    with pytest.raises(ValueError, match="k must"):
        pass_hat_k([(1, 1)], 0)


def test_percentiles_interpolate() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == pytest.approx(4 + 0.8 * 6)
    assert percentile([], 50) == 0.0


def test_tool_precision_and_recall_count_distinct_tools_and_ignore_delegation() -> None:
    called = ["ask_sales", "search_products", "search_products", "place_order", "get_business_info"]
    precision, recall = tool_precision_recall(called, ["search_products", "place_order", "get_order_status"])
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert tool_precision_recall(["ask_sales"], ["ask_sales"]) == (1.0, 1.0)
    assert tool_precision_recall([], ["place_order"]) == (0.0, 0.0)
    assert tool_precision_recall(["search_products"], []) is None  # nothing expected: not scored


def test_the_cost_estimate_uses_the_configured_prices() -> None:
    prices = Prices(Decimal("0.15"), Decimal("0.60"))
    assert prices.cost(2000, 500) == Decimal("0.600000")
    assert Prices().cost(10_000, 10_000) == Decimal(0)
