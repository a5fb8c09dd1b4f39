"""Reports: JSON + Markdown with SVG charts, the comparison (regressions first), CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.invariants import Violation
from evals.metrics import Prices
from evals.report import build_report, compare, write_reports
from evals.runner import RunResult


def run(
    scenario: str,
    passed: bool,
    *,
    trial: int = 1,
    version: int = 1,
    agent: str = "sales",
    violations: list[Violation] | None = None,
) -> RunResult:
    return RunResult(
        "s",
        scenario,
        version,
        agent,
        trial,
        passed,
        [] if passed else ["no reply contains '9.50'"],
        violations or [],
        ["ask_sales", "search_products"],
        ["search_products"],
        3,
        200,
        40,
        [0.2, 0.4],
        1.0,
        ["hello"],
    )


def report(*results: RunResult, trials: int = 2) -> dict:
    return build_report("s", "offline", trials, results, Prices(), deterministic=True)


def test_the_json_and_markdown_reports_carry_the_metrics_and_charts(tmp_path: Path) -> None:
    data = report(run("a", True), run("a", True, trial=2), run("b", True), run("b", False, trial=2, agent="stock"))
    assert data["summary"]["pass_hat_k"] == {"1": 0.75, "2": 0.5}
    assert set(data["by_agent"]) == {"sales", "stock"}
    json_path, md_path = write_reports(data, tmp_path)
    assert json.loads(json_path.read_text())["summary"]["runs"] == 4
    text = md_path.read_text()
    assert "pass^k equals pass^1" in text
    assert "no reply contains '9.50'" in text
    svg = (tmp_path / "s-pass-k.svg").read_text()
    assert svg.startswith("<svg")
    assert "pass^2" in svg


def test_compare_lists_regressions_first_then_violations_and_improvements() -> None:
    before = report(run("a", True), run("b", False), run("c", True), run("d", True), trials=1)
    after = report(
        run("a", False),
        run("b", True),
        run("c", True, violations=[Violation("discount_cap", "x")]),
        run("d", True, version=2),
        trials=1,
    )
    text = compare(before, after)
    assert text.index("## Regressions") < text.index("- a (sales): 1/1 → 0/1") < text.index("## New policy violations")
    assert text.index("- c: violations 0 → 1") < text.index("## Improvements") < text.index("- b (sales): 0/1 → 1/1")
    assert "- d: version 1 → 2 (not comparable)" in text


def test_the_cli_says_what_is_wrong_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--suite", "no-such-suite", "--check"]) == 2
    assert "no suite 'no-such-suite'" in capsys.readouterr().err
    assert main(["compare", "only-one.json"]) == 2
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert "a.json" in capsys.readouterr().err
    assert main(["--suite", "sales", "--check"]) == 0
    assert "scenarios valid" in capsys.readouterr().out
