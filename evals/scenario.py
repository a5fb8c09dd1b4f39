"""The scenario file format (docs/evals.md): who talks to the agent, in which shop and at what
moment, what they say (scripted turns or a simulator goal), and what must be true afterwards.

Everything is validated on load; a bad file raises `ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.models import ApprovalKind, ApprovalStatus, Channel, OrderStatus, ReturnKind

FORMAT_VERSION = 1
EVALS_DIR = Path(__file__).resolve().parent
SUITES_DIR = EVALS_DIR / "suites"
FIXTURES_DIR = EVALS_DIR / "fixtures"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
OFFSET = re.compile(r"^(?P<sign>[-+])(?P<days>\d+d)?(?P<hours>\d+h)?(?P<minutes>\d+m)?$")


class ScenarioError(ValueError):
    """A scenario or fixture file that cannot be used, with the file and the field at fault."""


class Strict(BaseModel):
    """No unknown keys: a typo in a scenario is an error, not a silently ignored expectation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def resolve_moment(value: str | datetime, clock: datetime) -> datetime:
    """A fixture moment: an ISO datetime with a timezone, or an offset from the clock (`-3d`, `-2d4h`, `-90m`)."""
    if isinstance(value, datetime):
        moment = value
    else:
        match = OFFSET.match(value.strip())
        if match:
            days, hours, minutes = (int((match[g] or "0")[:-1] or 0) for g in ("days", "hours", "minutes"))
            delta = timedelta(days=days, hours=hours, minutes=minutes)
            return clock - delta if match["sign"] == "-" else clock + delta
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is neither an ISO datetime nor an offset like -3d, -2d4h, -90m") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} needs a timezone (Z or +01:00)")
    return moment


Moment = Annotated[str, Field(description="ISO datetime with timezone, or an offset from the clock: -3d, -2d4h")]


def _check_moment(value: str) -> str:
    resolve_moment(value, datetime.fromisoformat("2000-01-01T00:00:00+00:00"))
    return value


# --- fixtures ---------------------------------------------------------------------------------------------


class StockBatch(Strict):
    """A receipt of `qty` units at unit `cost`, `at` a moment."""

    qty: int = Field(gt=0)
    cost: Decimal = Field(ge=0)
    at: Moment = "-60d"

    _at = field_validator("at")(_check_moment)


class VariantFixture(Strict):
    sku: str = Field(min_length=1, max_length=64)
    price: Decimal = Field(gt=0)
    options: dict[str, str] = {}
    reorder_point: int = Field(default=0, ge=0)
    stock: list[StockBatch] = []


class ProductFixture(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    category: str = "general"
    variants: list[VariantFixture] = Field(min_length=1)


class UserFixture(Strict):
    name: str = Field(pattern=NAME.pattern)
    role: Literal["owner", "staff"]


class CustomerFixture(Strict):
    name: str = Field(pattern=NAME.pattern, description="the key scenarios use")
    full_name: str = ""
    wa_id: str = Field(pattern=r"^\d{8,15}$")


class OrderFixture(Strict):
    """A past order. `number` is checked against the number the shop gives it (orders are created in
    file order, so numbers are stable)."""

    number: int | None = None
    customer: str | None = None
    by: str = Field(default="owner", description="the user who placed it")
    lines: dict[str, int] = Field(min_length=1, description="sku: quantity")
    discount_pct: Decimal = Decimal(0)
    at: Moment = "-1d"
    status: Literal["pending", "confirmed", "delivered", "cancelled"] = "delivered"
    delivered: Moment | None = None
    paid: bool = True
    address: str = "12 Admiralty Way, Lekki"

    _at = field_validator("at")(_check_moment)


class ShopFixture(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="the tenant id (client_id)")
    name: str
    timezone: str = "UTC"
    currency: str = "USD"
    max_discount_pct: Decimal = Decimal(20)
    auto_approve_discount_pct: Decimal = Decimal(10)
    return_window_days: int = 14
    sales_commission_pct: Decimal = Decimal(5)
    daily_adjustment_approval_units: int = Field(default=20, ge=1)
    business_overview: str = ""
    return_refund_policy: str = ""
    first_order_number: int = Field(default=1001, ge=1)
    users: list[UserFixture] = [UserFixture(name="owner", role="owner")]
    customers: list[CustomerFixture] = []
    products: list[ProductFixture] = []
    orders: list[OrderFixture] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> ShopFixture:
        skus = [v.sku for p in self.products for v in p.variants]
        if len(skus) != len(set(skus)):
            raise ValueError(f"shop {self.id}: duplicate SKUs")
        users, customers = {u.name for u in self.users}, {c.name for c in self.customers}
        if not any(u.role == "owner" for u in self.users):
            raise ValueError(f"shop {self.id}: needs an owner user")
        for order in self.orders:
            unknown = set(order.lines) - set(skus)
            if unknown:
                raise ValueError(f"shop {self.id}: order lines name unknown SKUs {sorted(unknown)}")
            if order.customer is not None and order.customer not in customers:
                raise ValueError(f"shop {self.id}: order names unknown customer {order.customer!r}")
            if order.by not in users:
                raise ValueError(f"shop {self.id}: order placed by unknown user {order.by!r}")
        return self


class Fixture(Strict):
    """The business the scenario runs in (`shops[0]`) and the other tenants beside it."""

    description: str = ""
    shops: list[ShopFixture] = Field(min_length=2, description="the scenario's shop first, then other tenants")

    @model_validator(mode="after")
    def _distinct_ids(self) -> Fixture:
        ids = [s.id for s in self.shops]
        if len(ids) != len(set(ids)):
            raise ValueError("shop ids must be distinct")
        return self


# --- the user side -----------------------------------------------------------------------------------------


class Say(Strict):
    say: str = Field(min_length=1)


class OwnerDecides(Strict):
    """The shop's owner decides the newest pending approval (through the conversation service)."""

    owner: Literal["approve", "reject"]


Step = Annotated[str | Say | OwnerDecides, Field(union_mode="left_to_right")]


class Simulator(Strict):
    """A τ-bench style goal for an LLM user simulator (runs only with a user-model endpoint)."""

    persona: str
    reason: str
    known: list[str] = []
    unknown: list[str] = []
    stop: str = "###STOP###"
    max_turns: int = Field(default=8, ge=1, le=30)


class Actor(Strict):
    role: Literal["owner", "staff", "customer"]
    name: str = Field(description="a user (owner/staff) or customer key of the scenario's shop")


# --- expectations ------------------------------------------------------------------------------------------


class ReplyExpect(Strict):
    """Case-insensitive substring checks over the replies of the whole conversation, or the last one."""

    contain: list[str] = []
    contain_any: list[str] = []
    not_contain: list[str] = []
    last_contains: list[str] = []


class ToolExpect(Strict):
    required: list[str] = []
    forbidden: list[str] = []


class OrderExpect(Strict):
    customer: str | None = None
    status: OrderStatus | None = None
    discount_pct: Decimal | None = None
    lines: dict[str, int] | None = None
    address_contains: str | None = None


class ReturnExpect(Strict):
    order: int
    kind: ReturnKind | None = None
    lines: dict[str, int] | None = None


class ApprovalExpect(Strict):
    kind: ApprovalKind | None = None
    status: ApprovalStatus | None = None


class StateExpect(Strict):
    """The database after the run. A list is the exact set of records the run created ([] = none); a
    map checks named records; an omitted key is not checked."""

    new_orders: list[OrderExpect] | None = None
    orders: dict[int, OrderExpect] = {}
    stock: dict[str, int] = {}
    returns: list[ReturnExpect] | None = None
    approvals: list[ApprovalExpect] | None = None


class Expect(Strict):
    replies: ReplyExpect = ReplyExpect()
    tools: ToolExpect = ToolExpect()
    state: StateExpect = StateExpect()


class Change(Strict):
    version: int = Field(ge=1)
    date: date
    reason: str = Field(min_length=3)


class Scenario(Strict):
    """One scenario file."""

    format: Literal[1] = FORMAT_VERSION
    id: str = Field(pattern=NAME.pattern)
    version: int = Field(ge=1)
    changes: list[Change] = Field(min_length=1)
    title: str
    agent: Literal["sales", "stock", "discount", "analytics", "supervisor"]
    tags: list[str] = []
    fixture: str | Fixture
    clock: datetime
    channel: Channel = Channel.EVAL
    actor: Actor
    turns: list[Step] = []
    simulator: Simulator | None = None
    expect: Expect = Expect()

    @field_validator("clock")
    @classmethod
    def _clock_is_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the clock needs a timezone (Z or +01:00)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if bool(self.turns) == (self.simulator is not None):
            raise ValueError("give either scripted `turns` or a `simulator` goal, not both and not neither")
        if self.turns and not any(isinstance(step, str | Say) for step in self.turns):
            raise ValueError("scripted turns need at least one user message")
        versions = [c.version for c in self.changes]
        if versions != sorted(versions) or versions[-1] != self.version:
            raise ValueError("`changes` must be in version order and end with the current `version`")
        return self

    @property
    def user_messages(self) -> list[str]:
        return [s if isinstance(s, str) else s.say for s in self.turns if isinstance(s, str | Say)]

    @property
    def scripted(self) -> bool:
        return self.simulator is None


# --- loading -----------------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc


def _explain(path: Path, exc: ValidationError) -> ScenarioError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors(include_url=False)
    )
    return ScenarioError(f"{path}: {problems}")


@lru_cache(maxsize=64)
def load_fixture(name: str, fixtures_dir: Path = FIXTURES_DIR) -> Fixture:
    """The shared fixture `evals/fixtures/<name>.yaml` (read once per process; fixtures are immutable)."""
    if not NAME.match(name):
        raise ScenarioError(f"fixture name {name!r} must be lower-case letters, digits, - or _")
    path = fixtures_dir / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in fixtures_dir.glob("*.yaml"))) or "none"
        raise ScenarioError(f"no fixture {name!r} (known: {known})")
    try:
        return Fixture.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, exc) from exc


def _check_actor(path: Path, scenario: Scenario, fixture: Fixture) -> None:
    shop = fixture.shops[0]
    if scenario.actor.role == "customer":
        names = {c.name for c in shop.customers}
    else:
        names = {u.name for u in shop.users if u.role == scenario.actor.role}
    if scenario.actor.name not in names:
        raise ScenarioError(
            f"{path}: actor.name: no {scenario.actor.role} {scenario.actor.name!r} in shop {shop.id} "
            f"(known: {', '.join(sorted(names)) or 'none'})"
        )
    if any(isinstance(s, OwnerDecides) for s in scenario.turns) and scenario.actor.role == "owner":
        raise ScenarioError(f"{path}: turns: an owner's own request needs no owner decision step")


def load_scenario(path: Path, fixtures_dir: Path = FIXTURES_DIR) -> tuple[Scenario, Fixture]:
    """One scenario file and its fixture, validated; the id must be the file's name."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping of fields, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, exc) from exc
    if scenario.id != path.stem:
        raise ScenarioError(f"{path}: id {scenario.id!r} must equal the file name {path.stem!r}")
    try:
        fixture = (
            scenario.fixture if isinstance(scenario.fixture, Fixture) else load_fixture(scenario.fixture, fixtures_dir)
        )
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: fixture: {exc}") from exc
    _check_actor(path, scenario, fixture)
    return scenario, fixture


class Suite(BaseModel):
    """A directory of scenarios under evals/suites/."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    name: str
    scenarios: list[tuple[Scenario, Fixture]]


def suite_names(suites_dir: Path = SUITES_DIR) -> list[str]:
    return sorted(p.name for p in suites_dir.iterdir() if p.is_dir()) if suites_dir.exists() else []


def load_suite(name: str, suites_dir: Path = SUITES_DIR, fixtures_dir: Path = FIXTURES_DIR) -> Suite:
    """Every `*.yaml` of `evals/suites/<name>/`, all validated (every bad file is reported at once)."""
    folder = suites_dir / name
    if not NAME.match(name) or not folder.is_dir():
        raise ScenarioError(f"no suite {name!r} (known: {', '.join(suite_names(suites_dir)) or 'none'})")
    loaded, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            loaded.append(load_scenario(path, fixtures_dir))
        except ScenarioError as exc:
            problems.append(str(exc))
    if problems:
        raise ScenarioError("\n".join(problems))
    if not loaded:
        raise ScenarioError(f"suite {name!r} has no scenarios")
    return Suite(name=name, scenarios=loaded)
