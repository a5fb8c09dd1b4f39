"""Run scenarios: each trial in its own database (cloned from a migrated template), its fixture built
at the scenario's clock, the turns sent through `open_runtime(...).conversations` on the scenario's
channel, then the expectations and the policy invariants checked."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from tqdm import tqdm

from domain.context import Context
from domain.models import ApprovalStatus, Channel, Role
from domain.models.base import clock_at
from evals.expectations import check_replies, check_state, check_tools
from evals.fixture_db import ShopHandles, build_fixture
from evals.invariants import Evidence, Violation, check_all
from evals.scenario import Fixture, OwnerDecides, Scenario, Simulator
from evals.world import StepRecord, Transcript, World, read_world, write_marks
from graph.memory import setup_checkpoint_tables
from graph.runtime import Runtime, open_runtime
from infra.db import app_role_password, connect_app_engine, make_engine, make_session_factory, normalize_url
from infra.migrate import upgrade
from infra.settings import Settings

ModelFactory = Callable[[], BaseChatModel]


class ToolResultRecorder(BaseCallbackHandler):
    """Attached to a run's chat model: keeps every tool result the model is shown (once each)."""

    def __init__(self) -> None:
        self.results: dict[str, str] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any) -> None:
        with self._lock:
            for batch in messages:
                for message in batch:
                    if isinstance(message, ToolMessage):
                        self.results.setdefault(message.tool_call_id, str(message.content))


@dataclass
class RunResult:
    """One trial of one scenario."""

    suite: str
    scenario: str
    version: int
    agent: str
    trial: int
    passed: bool
    failures: list[str]
    violations: list[Violation]
    tools: list[str]
    expected_tools: list[str]
    llm_calls: int
    input_tokens: int
    output_tokens: int
    turn_seconds: list[float]
    seconds: float
    replies: list[str] = field(default_factory=list)
    tool_results: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Built:
    """A fixture built into a template database: its name, the shops' ids, the state it holds."""

    template: str
    shops: list[ShopHandles]
    state: World


class Databases:
    """On the server: a migrated template, a template per (fixture, clock) built from it once, and a
    throwaway clone of that per run (building a fixture costs seconds, cloning a fraction of one)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.DATABASE_URL is not None
        self.server_url = normalize_url(settings.DATABASE_URL)
        self.settings = settings
        self.admin = make_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"easy_ecom_eval_{uuid.uuid4().hex[:8]}"
        self.base = f"{self.prefix}_base"
        self._lock = threading.Lock()
        self._fixtures: dict[tuple[str, str], Built] = {}
        self._building: dict[tuple[str, str], threading.Lock] = {}
        self._execute(f'CREATE DATABASE "{self.base}"')
        engine = make_engine(self.url(self.base))
        try:
            role = settings.DATABASE_APP_ROLE
            upgrade(engine, role, app_role_password(settings.secret_key(), role))
        finally:
            engine.dispose()
        setup_checkpoint_tables(self.url(self.base))

    def url(self, database: str) -> str:
        return make_url(self.server_url).set(database=database).render_as_string(hide_password=False)

    def _execute(self, *statements: str) -> None:
        with self.admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))

    def _copy(self, template: str, name: str) -> None:
        with self._lock:  # a template may have no other user while it is copied
            self._execute(
                f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
                f'ALTER DATABASE "{name}" SET synchronous_commit = off',  # a throwaway database
            )

    def fixture(self, fixture: Fixture, clock: datetime) -> Built:
        """The template holding `fixture` built at `clock`, its ids and state (built on first use)."""
        key = (fixture.model_dump_json(), clock.isoformat())
        with self._fixture_lock(key):
            if key not in self._fixtures:
                name = f"{self.prefix}_fx{uuid.uuid4().hex[:8]}"
                self._copy(self.base, name)
                engine = connect_app_engine(self.settings.model_copy(update={"DATABASE_URL": self.url(name)}))
                owner = make_engine(self.url(name))
                try:
                    handles = build_fixture(make_session_factory(engine), fixture, clock)
                    state = read_world(owner)
                except Exception:
                    engine.dispose()
                    owner.dispose()
                    self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    raise
                engine.dispose()
                owner.dispose()
                self._fixtures[key] = Built(name, handles, state)
            return self._fixtures[key]

    @contextmanager
    def _fixture_lock(self, key: tuple[str, str]) -> Iterator[None]:
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            yield

    @contextmanager
    def clone(self, template: str) -> Iterator[str]:
        """A fresh copy of `template` (its owner URL), dropped afterwards."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self._copy(template, name)
        try:
            yield self.url(name)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [self.base, *(built.template for built in self._fixtures.values())]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def skip_durability(server_url: str) -> None:
    """For a PostgreSQL server the evals started for themselves only: no fsync, no full-page writes
    (its databases are thrown away; copying a template and committing get several times faster)."""
    engine = make_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                connection.execute(text(f"ALTER SYSTEM SET {setting} = off"))
            connection.execute(text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()


def actor_context(scenario: Scenario, shop: ShopHandles) -> Context:
    """The principal the channel would build for the scenario's actor."""
    actor = scenario.actor
    if actor.role == "customer":
        return Context(shop.client_id, Role.CUSTOMER, scenario.channel, customer_id=shop.customers[actor.name])
    role = Role.OWNER if actor.role == "owner" else Role.STAFF
    return Context(shop.client_id, role, scenario.channel, shop.users[actor.name], actor_name=actor.name)


class NothingToDecide(Exception):
    """The script's owner step came while no approval was pending: the agent never asked."""


class EvalConversation:
    """One run's conversation: sends the user side and records each step and the writes it made."""

    def __init__(self, runtime: Runtime, owner_engine: Engine, ctx: Context, owner: Context, conversation: str) -> None:
        self.runtime, self.owner_engine, self.ctx, self.owner = runtime, owner_engine, ctx, owner
        self.conversation = conversation
        self.transcript = Transcript()
        self._writes = write_marks(owner_engine)

    def _record(self, step: StepRecord) -> StepRecord:
        now = write_marks(self.owner_engine)
        step.wrote, self._writes = now != self._writes, now
        self.transcript.steps.append(step)
        return step

    def say(self, message: str) -> str:
        started = time.perf_counter()
        turn = self.runtime.conversations.send(self.ctx, message, self.conversation)
        record = turn.record
        return self._record(
            StepRecord(
                "say",
                message,
                turn.reply,
                turn.pending,
                list(record.tools),
                record.llm_calls,
                record.input_tokens,
                record.output_tokens,
                time.perf_counter() - started,
            )
        ).reply

    def owner_decides(self, approve: bool) -> str:
        """The owner decides the newest pending approval of the shop; the requester's reply is recorded."""
        started = time.perf_counter()
        pending, _ = self.runtime.conversations.list_approvals(self.owner, status=ApprovalStatus.PENDING)
        kind = "approve" if approve else "reject"
        if not pending:
            raise NothingToDecide(f"the owner's step ({kind}) found no pending approval")
        decision = self.runtime.conversations.decide(self.owner, pending[0].id, approve=approve)
        return self._record(
            StepRecord(kind, kind, decision.reply, None, [], 0, 0, 0, time.perf_counter() - started)
        ).reply


SIMULATOR_PROMPT = """You play a person writing to a shop's chat assistant. Stay in character.
Persona: {persona}
Why you are writing: {reason}
What you know (share only when asked or needed): {known}
What you do not know (never invent it): {unknown}
Write one short message at a time, as this person would type it. When your goal is met, or it clearly
cannot be met, write only {stop}."""


def simulate(user_model: BaseChatModel, goal: Simulator, session: EvalConversation) -> None:
    """Let the user model talk to the agent until it says the stop token or runs out of turns."""
    system = SystemMessage(
        SIMULATOR_PROMPT.format(
            persona=goal.persona,
            reason=goal.reason,
            known="; ".join(goal.known) or "nothing special",
            unknown="; ".join(goal.unknown) or "nothing special",
            stop=goal.stop,
        )
    )
    history: list[Any] = [HumanMessage("(the chat opens; write your first message)")]
    for _ in range(goal.max_turns):
        said = str(user_model.invoke([system, *history]).content).strip()
        message = said.replace(goal.stop, "").strip()
        if message:
            history += [AIMessage(message), HumanMessage(session.say(message))]
        if goal.stop in said or not message:
            return


@dataclass(frozen=True)
class RunPlan:
    """What to run and how."""

    suite: str
    scenarios: list[tuple[Scenario, Fixture]]
    trials: int
    make_model: ModelFactory
    user_model: ModelFactory | None = None


def run_one(
    databases: Databases, settings: Settings, plan: RunPlan, scenario: Scenario, fixture: Fixture, trial: int
) -> RunResult:
    """One trial of one scenario, in its own database."""
    started = time.perf_counter()
    model, recorder = plan.make_model(), ToolResultRecorder()
    model.callbacks = [recorder]
    failures: list[str] = []
    violations: list[Violation] = []
    error = None
    transcript = Transcript()
    try:
        built = databases.fixture(fixture, scenario.clock)
    except Exception as exc:  # a fixture the domain refuses: every run of the scenario fails with it
        error = f"fixture: {type(exc).__name__}: {exc}"
        return _result(plan, scenario, trial, started, transcript, failures, violations, error)
    shop, before = built.shops[0], built.state
    with databases.clone(built.template) as url, clock_at(scenario.clock):
        run_settings = settings.model_copy(update={"DATABASE_URL": url, "DB_POOL_SIZE": 4})
        owner_engine = make_engine(url)
        try:
            with open_runtime(run_settings, chat_model=model) as runtime:
                session = EvalConversation(
                    runtime,
                    owner_engine,
                    actor_context(scenario, shop),
                    shop.owner(Channel.CONSOLE),
                    f"eval-{scenario.id}-{trial}",
                )
                transcript = session.transcript
                try:
                    _drive(plan, scenario, session)
                except NothingToDecide as exc:
                    failures.append(str(exc))
                except Exception as exc:  # a crash is this run's failure, not the suite's
                    error = f"{type(exc).__name__}: {exc}"
                transcript.tool_results = list(recorder.results.values())
                after = read_world(owner_engine)
                failures += check_replies(scenario, transcript) + check_tools(scenario, transcript)
                failures += check_state(scenario, shop.client_id, before, after, shop.customers)
                violations = check_all(
                    Evidence(scenario, fixture, before, after, transcript, shop.customers.get(scenario.actor.name))
                )
        except Exception as exc:
            error = error or f"{type(exc).__name__}: {exc}"
        finally:
            owner_engine.dispose()
    return _result(plan, scenario, trial, started, transcript, failures, violations, error)


def _result(
    plan: RunPlan,
    scenario: Scenario,
    trial: int,
    started: float,
    transcript: Transcript,
    failures: list[str],
    violations: list[Violation],
    error: str | None,
) -> RunResult:
    steps = transcript.steps
    return RunResult(
        suite=plan.suite,
        scenario=scenario.id,
        version=scenario.version,
        agent=scenario.agent,
        trial=trial,
        passed=not failures and not violations and error is None,
        failures=failures + ([f"error: {error}"] if error else []),
        violations=violations,
        tools=transcript.tools,
        expected_tools=list(scenario.expect.tools.required),
        llm_calls=sum(s.llm_calls for s in steps),
        input_tokens=sum(s.input_tokens for s in steps),
        output_tokens=sum(s.output_tokens for s in steps),
        turn_seconds=[s.seconds for s in steps if s.kind == "say"],
        seconds=time.perf_counter() - started,
        replies=transcript.replies,
        tool_results=transcript.tool_results,
        error=error,
    )


def _drive(plan: RunPlan, scenario: Scenario, session: EvalConversation) -> None:
    if scenario.simulator is not None:
        if plan.user_model is None:
            raise RuntimeError("a simulator scenario needs a user model (--user-model)")
        simulate(plan.user_model(), scenario.simulator, session)
        return
    for step in scenario.turns:
        if isinstance(step, OwnerDecides):
            session.owner_decides(step.owner == "approve")
        else:
            session.say(step if isinstance(step, str) else step.say)


def run_plans(
    settings: Settings, plans: list[RunPlan], *, workers: int = 2, progress: bool = True
) -> list[list[RunResult]]:
    """Every scenario × trial of every plan, `workers` runs at a time, over one set of template
    databases; per plan, results in scenario then trial order."""
    databases = Databases(settings)
    jobs = [
        (plan, scenario, fixture, trial)
        for plan in plans
        for scenario, fixture in plan.scenarios
        for trial in range(1, plan.trials + 1)
    ]
    done: dict[int, RunResult] = {}
    try:
        with (
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
            tqdm(total=len(jobs), desc="+".join(p.suite for p in plans), unit="run", disable=not progress) as bar,
        ):
            futures = {pool.submit(run_one, databases, settings, *job): index for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                bar.set_postfix(passed=sum(r.passed for r in done.values()), refresh=False)
                bar.update()
    finally:
        databases.close()
    return [[done[i] for i, job in enumerate(jobs) if job[0] is plan] for plan in plans]
