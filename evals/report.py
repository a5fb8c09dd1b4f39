"""Reports of a run: JSON (machine-readable), Markdown with plain SVG charts, and the comparison of
two JSON reports, regressions first."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from evals.metrics import Prices, by_agent, summarize
from evals.runner import RunResult

REPORT_FORMAT = 1


def build_report(
    suite: str, model: str, trials: int, results: Sequence[RunResult], prices: Prices, *, deterministic: bool
) -> dict[str, Any]:
    """The JSON report of one suite's run."""
    scenarios: dict[str, list[RunResult]] = defaultdict(list)
    for result in results:
        scenarios[result.scenario].append(result)
    return {
        "format": REPORT_FORMAT,
        "suite": suite,
        "model": model,
        "trials": trials,
        "deterministic_model": deterministic,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "prices_per_1k": {"input": str(prices.input_per_1k), "output": str(prices.output_per_1k)},
        "summary": summarize(results, trials, prices),
        "by_agent": by_agent(results, trials, prices),
        "scenarios": [
            {
                "id": scenario,
                "version": runs[0].version,
                "agent": runs[0].agent,
                "successes": sum(r.passed for r in runs),
                "trials": len(runs),
                "runs": [asdict(r) | {"violations": [asdict(v) for v in r.violations]} for r in runs],
            }
            for scenario, runs in scenarios.items()
        ],
    }


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, maximum: float = 1.0) -> str:
    """A horizontal bar chart as plain SVG (values 0..maximum)."""
    row, label_w, bar_w = 22, 150, 300
    height = 30 + row * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 26 + i * row
        width = 0 if maximum <= 0 else round(bar_w * max(0.0, min(value, maximum)) / maximum)
        parts += [
            f'<text x="4" y="{y + 14}">{escape(label)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="14" fill="#eee"/>',
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="14" fill="#3572b0"/>',
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{value:.2f}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def write_reports(report: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """`<suite>.json`, `<suite>.md` and its SVG charts in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    suite, summary = report["suite"], report["summary"]
    json_path = folder / f"{suite}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    charts = {
        f"{suite}-pass-k.svg": bar_chart(
            f"{suite}: pass^k", [(f"pass^{k}", v) for k, v in summary["pass_hat_k"].items()]
        ),
        f"{suite}-agents.svg": bar_chart(
            f"{suite}: pass^1 per agent",
            [(agent, s["pass_hat_k"].get("1", 0.0)) for agent, s in report["by_agent"].items()],
        ),
    }
    for name, svg in charts.items():
        (folder / name).write_text(svg)
    md_path = folder / f"{suite}.md"
    md_path.write_text(markdown(report, list(charts)))
    return json_path, md_path


def markdown(report: dict[str, Any], charts: Sequence[str] = ()) -> str:
    s = report["summary"]
    lines = [
        f"# Eval report: suite `{report['suite']}`, model `{report['model']}`",
        "",
        f"{s['scenarios']} scenarios × {report['trials']} trials = {s['runs']} runs, {report['created_at']}.",
    ]
    if report["deterministic_model"]:
        lines.append("The model is deterministic: all trials of a scenario agree, so pass^k equals pass^1.")
    lines += ["", *(f"![{c}]({c})" for c in charts), "", "| metric | value |", "|---|---|"]
    for key in (
        "pass_hat_k",
        "violations",
        "violations_by_invariant",
        "errors",
        "tool_precision",
        "tool_recall",
        "llm_calls_per_run",
        "input_tokens_per_run",
        "output_tokens_per_run",
        "cost_usd",
        "turn_latency_p50_s",
        "turn_latency_p95_s",
    ):
        lines.append(f"| {key} | {s[key]} |")
    lines += [
        "",
        "## Per agent",
        "",
        "| agent | scenarios | pass^1 | violations | precision | recall | LLM calls/run |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for agent, a in report["by_agent"].items():
        lines.append(
            f"| {agent} | {a['scenarios']} | {a['pass_hat_k'].get('1', 0)} | {a['violations']} | "
            f"{a['tool_precision']} | {a['tool_recall']} | {a['llm_calls_per_run']} |"
        )
    lines += ["", "## Scenarios", "", "| scenario | agent | passed | why not |", "|---|---|---|---|"]
    for sc in report["scenarios"]:
        first_bad = next((r for r in sc["runs"] if not r["passed"]), None)
        why = ""
        if first_bad:
            reasons = first_bad["failures"] + [
                f"VIOLATION {v['invariant']}: {v['detail']}" for v in first_bad["violations"]
            ]
            why = "; ".join(reasons)[:300].replace("|", "/").replace("\n", " ")
        lines.append(f"| {sc['id']} (v{sc['version']}) | {sc['agent']} | {sc['successes']}/{sc['trials']} | {why} |")
    return "\n".join(lines) + "\n"


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What changed from `before` to `after` (two JSON reports), regressions first."""
    old = {s["id"]: s for s in before["scenarios"]}
    new = {s["id"]: s for s in after["scenarios"]}
    regressions, improvements, changed_version, new_violations = [], [], [], []
    for sid in sorted(old.keys() & new.keys()):
        a, b = old[sid], new[sid]
        rate_a, rate_b = a["successes"] / a["trials"], b["successes"] / b["trials"]
        if a["version"] != b["version"]:
            changed_version.append(f"- {sid}: version {a['version']} → {b['version']} (not comparable)")
            continue
        line = f"- {sid} ({b['agent']}): {a['successes']}/{a['trials']} → {b['successes']}/{b['trials']}"
        if rate_b < rate_a:
            regressions.append(line)
        elif rate_b > rate_a:
            improvements.append(line)
        va = sum(len(r["violations"]) for r in a["runs"])
        vb = sum(len(r["violations"]) for r in b["runs"])
        if vb > va:
            new_violations.append(f"- {sid}: violations {va} → {vb}")
    sa, sb = before["summary"], after["summary"]
    lines = [f"# Compare {before['suite']} ({before['model']}) → {after['suite']} ({after['model']})", ""]
    lines += ["## Regressions", "", *(regressions or ["none"]), ""]
    lines += ["## New policy violations", "", *(new_violations or ["none"]), ""]
    lines += ["## Improvements", "", *(improvements or ["none"]), ""]
    if changed_version:
        lines += ["## Scenario versions changed", "", *changed_version, ""]
    only_old, only_new = sorted(old.keys() - new.keys()), sorted(new.keys() - old.keys())
    if only_old or only_new:
        lines += [
            "## Scenarios added or removed",
            "",
            *(f"- removed {s}" for s in only_old),
            *(f"- added {s}" for s in only_new),
            "",
        ]
    lines += ["## Summary", "", "| metric | before | after |", "|---|---|---|"]
    for key in (
        "pass_hat_k",
        "violations",
        "tool_precision",
        "tool_recall",
        "llm_calls_per_run",
        "cost_usd",
        "turn_latency_p50_s",
        "turn_latency_p95_s",
    ):
        lines.append(f"| {key} | {sa.get(key)} | {sb.get(key)} |")
    return "\n".join(lines) + "\n"
