"""`easy-ecom-eval`: run suites against the offline model or any OpenAI-compatible model, write the
reports, compare two reports.

    easy-ecom-eval --suite sales --model offline --trials 3
    easy-ecom-eval --suite all --model gpt-4o-mini --trials 2 --workers 4
    easy-ecom-eval compare before/sales.json after/sales.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from evals.metrics import Prices
from evals.report import build_report, compare, write_reports
from evals.runner import ModelFactory, RunPlan, run_plans, skip_durability
from evals.scenario import EVALS_DIR, ScenarioError, load_suite, suite_names
from graph.model import make_chat_model
from graph.offline import OfflineChatModel
from infra.embedded import running_services
from infra.settings import ConfigError, Settings, load_settings

BASELINES_DIR = EVALS_DIR / "baselines"


def model_factory(settings: Settings, name: str) -> ModelFactory:
    """`offline`, or a model name served at OPENAI_BASE_URL (OpenAI when unset) with OPENAI_API_KEY."""
    if name == "offline":
        return OfflineChatModel
    if settings.OPENAI_API_KEY is None:
        raise ConfigError(
            f"--model {name} needs OPENAI_API_KEY (any non-empty value for a local server) and, "
            "for a server other than OpenAI, OPENAI_BASE_URL (e.g. http://localhost:11434/v1)"
        )
    configured = settings.model_copy(update={"LLM_MODEL": name})

    def make() -> BaseChatModel:
        return make_chat_model(configured)

    return make


def _price(value: str) -> Decimal:
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not a price") from None
    if price < 0:
        raise argparse.ArgumentTypeError("a price cannot be negative")
    return price


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="easy-ecom-eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", action="append", required=True, help="suite name (repeatable), or `all`")
    parser.add_argument("--model", default="offline", help="offline (default) or a model name at OPENAI_BASE_URL")
    parser.add_argument("--user-model", help="model name for the user simulator (simulator scenarios need it)")
    parser.add_argument("--trials", type=int, default=1, help="trials per scenario (pass^k for k = 1..trials)")
    parser.add_argument("--workers", type=int, default=2, help="scenario runs in parallel (each has its own database)")
    parser.add_argument("--out", type=Path, default=Path("eval-reports"), help="report folder (default eval-reports)")
    parser.add_argument("--price-input-per-1k", type=_price, default=Decimal(0), help="USD per 1k input tokens")
    parser.add_argument("--price-output-per-1k", type=_price, default=Decimal(0), help="USD per 1k output tokens")
    parser.add_argument("--check", action="store_true", help="only validate the scenario files")
    parser.add_argument("--gate", action="store_true", help="exit 1 on a policy violation or pass^1 below the baseline")
    parser.add_argument("--write-baseline", action="store_true", help="save pass^1 per suite to evals/baselines/")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def baseline(suite: str) -> float | None:
    """The committed pass^1 of `suite` (None if it has none)."""
    path = BASELINES_DIR / f"{suite}.json"
    return float(json.loads(path.read_text())["pass_hat_1"]) if path.exists() else None


def write_baseline(report: dict[str, Any], command: str) -> Path:
    BASELINES_DIR.mkdir(exist_ok=True)
    path = BASELINES_DIR / f"{report['suite']}.json"
    data = {
        "suite": report["suite"],
        "model": report["model"],
        "trials": report["trials"],
        "pass_hat_1": report["summary"]["pass_hat_k"]["1"],
        "scenarios": report["summary"]["scenarios"],
        "violations": report["summary"]["violations"],
        "command": command,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def run(args: argparse.Namespace, settings: Settings) -> int:
    names = suite_names() if "all" in args.suite else args.suite
    suites = [load_suite(name) for name in names]
    if args.check:
        for suite in suites:
            print(f"{suite.name}: {len(suite.scenarios)} scenarios valid")
        return 0
    if args.trials < 1 or args.workers < 1:
        raise ConfigError("--trials and --workers must be at least 1")
    make_model = model_factory(settings, args.model)
    user_model = model_factory(settings, args.user_model) if args.user_model else None
    prices = Prices(args.price_input_per_1k, args.price_output_per_1k)
    command = "easy-ecom-eval " + " ".join(sys.argv[1:])
    status = 0
    with tempfile.TemporaryDirectory(prefix="easy-ecom-eval-") as scratch:
        # embedded servers (and their secret key) in a scratch folder, never beside a running dev server
        local = settings if settings.DATABASE_URL else settings.model_copy(update={"DATA_DIR": Path(scratch)})
        with running_services(local) as urls:
            served = local.model_copy(update={"DATABASE_URL": urls.database_url, "REDIS_URL": urls.redis_url})
            if not settings.DATABASE_URL:
                skip_durability(urls.database_url)  # our own scratch server
            plans = []
            for suite in suites:
                scenarios = [(s, f) for s, f in suite.scenarios if s.scripted or user_model is not None]
                if scenarios:
                    plans.append(RunPlan(suite.name, scenarios, args.trials, make_model, user_model))
                else:
                    print(f"{suite.name}: every scenario needs a user model (--user-model); skipped")
            outcomes = run_plans(served, plans, workers=args.workers, progress=not args.no_progress)
    for plan, results in zip(plans, outcomes, strict=True):
        report = build_report(
            plan.suite, args.model, args.trials, results, prices, deterministic=args.model == "offline"
        )
        _json_path, md_path = write_reports(report, args.out)
        summary = report["summary"]
        print(
            f"{plan.suite}: pass^1 {summary['pass_hat_k']['1']:.3f} over {summary['scenarios']} scenarios, "
            f"{summary['violations']} policy violations, {summary['errors']} errors; {md_path}"
        )
        if args.write_baseline:
            print(f"baseline written: {write_baseline(report, command)}")
        floor = baseline(plan.suite)
        if args.gate and (summary["violations"] or (floor is not None and summary["pass_hat_k"]["1"] < floor)):
            print(f"{plan.suite}: GATE FAILED (baseline pass^1 {floor})", file=sys.stderr)
            status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    try:
        if argv[:1] == ["compare"]:
            if len(argv) != 3:
                print("usage: easy-ecom-eval compare BEFORE.json AFTER.json", file=sys.stderr)
                return 2
            before, after = (json.loads(Path(p).read_text()) for p in argv[1:])
            print(compare(before, after), end="")
            return 0
        args = build_parser().parse_args(argv)
        return run(args, load_settings())
    except (ScenarioError, ConfigError, OSError, ValueError) as exc:
        print(f"easy-ecom-eval: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
