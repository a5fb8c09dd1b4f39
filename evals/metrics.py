"""Scores of a set of runs: pass^k (τ-bench), policy violations, tool-call precision and recall,
LLM calls, tokens and their cost, latency percentiles; per suite and per agent."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from evals.runner import RunResult


def pass_hat_k(outcomes: Sequence[tuple[int, int]], k: int) -> float:
    """τ-bench's pass^k: the mean over tasks of C(c, k) / C(n, k), for c successes in n trials each.

    The chance that k trials drawn (without replacement) from a task's n all succeed, averaged."""
    if not outcomes:
        raise ValueError("pass^k needs at least one task")
    if k < 1:
        raise ValueError("k must be at least 1")
    for successes, trials in outcomes:
        if not 0 <= successes <= trials:
            raise ValueError(f"{successes} successes out of {trials} trials")
        if k > trials:
            raise ValueError(f"k = {k} exceeds the {trials} trials of a task")
    return sum(math.comb(c, k) / math.comb(n, k) for c, n in outcomes) / len(outcomes)


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile by linear interpolation (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def tool_precision_recall(called: Iterable[str], expected: Iterable[str]) -> tuple[float, float] | None:
    """Precision and recall of the distinct tools called against the expected ones; delegation tools
    (`ask_*`) count only when expected. None when the scenario expects no tool (nothing to score)."""
    wanted = set(expected)
    if not wanted:
        return None
    made = {t for t in called if not t.startswith("ask_") or t in wanted}
    hits = len(made & wanted)
    return (hits / len(made) if made else 0.0), hits / len(wanted)


@dataclass(frozen=True)
class Prices:
    """USD per 1,000 input and output tokens (for the cost estimate)."""

    input_per_1k: Decimal = Decimal(0)
    output_per_1k: Decimal = Decimal(0)

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        raw = (self.input_per_1k * input_tokens + self.output_per_1k * output_tokens) / 1000
        return raw.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def summarize(results: Sequence[RunResult], trials: int, prices: Prices) -> dict[str, Any]:
    """The scores of `results` (runs of one or more scenarios, `trials` each)."""
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for result in results:
        by_scenario[result.scenario].append(result)
    outcomes = [(sum(r.passed for r in runs), len(runs)) for runs in by_scenario.values()]
    usable = min((n for _c, n in outcomes), default=0)
    pr = [scored for r in results if (scored := tool_precision_recall(r.tools, r.expected_tools)) is not None]
    turns = [s for r in results for s in r.turn_seconds]
    violations = Counter(v.invariant for r in results for v in r.violations)
    runs = len(results) or 1
    input_tokens = sum(r.input_tokens for r in results)
    output_tokens = sum(r.output_tokens for r in results)
    return {
        "scenarios": len(by_scenario),
        "runs": len(results),
        "pass_hat_k": {str(k): round(pass_hat_k(outcomes, k), 4) for k in range(1, min(trials, usable) + 1)}
        if outcomes
        else {},
        "passed_runs": sum(r.passed for r in results),
        "violations": sum(violations.values()),
        "violations_by_invariant": dict(sorted(violations.items())),
        "errors": sum(r.error is not None for r in results),
        "tool_precision": round(sum(p for p, _ in pr) / len(pr), 4) if pr else None,
        "tool_recall": round(sum(r for _, r in pr) / len(pr), 4) if pr else None,
        "tool_scored_runs": len(pr),
        "llm_calls_per_run": round(sum(r.llm_calls for r in results) / runs, 2),
        "input_tokens_per_run": round(input_tokens / runs, 1),
        "output_tokens_per_run": round(output_tokens / runs, 1),
        "cost_usd": str(prices.cost(input_tokens, output_tokens)),
        "cost_usd_per_run": str((prices.cost(input_tokens, output_tokens) / runs).quantize(Decimal("0.000001"))),
        "turn_latency_p50_s": round(percentile(turns, 50), 4),
        "turn_latency_p95_s": round(percentile(turns, 95), 4),
        "run_latency_p50_s": round(percentile([r.seconds for r in results], 50), 4),
        "run_latency_p95_s": round(percentile([r.seconds for r in results], 95), 4),
    }


def by_agent(results: Sequence[RunResult], trials: int, prices: Prices) -> dict[str, dict[str, Any]]:
    """`summarize` per scenario agent."""
    groups: dict[str, list[RunResult]] = defaultdict(list)
    for result in results:
        groups[result.agent].append(result)
    return {agent: summarize(runs, trials, prices) for agent, runs in sorted(groups.items())}
