"""Declarative base, constraint naming convention and shared column types."""

from __future__ import annotations

import enum
import functools
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import orjson
from sqlalchemy import DateTime, Enum, ForeignKey, MetaData, Numeric, String, func, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, make_transient_to_detached, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UnitCost = Annotated[Decimal, mapped_column(Numeric(14, 4))]
Percent = Annotated[Decimal, mapped_column(Numeric(5, 2))]


_CLOCK: ContextVar[tuple[datetime, float] | None] = ContextVar("easy_ecom_clock", default=None)


def utcnow() -> datetime:
    """Timezone-aware now in UTC (on the clock `clock_at` set for this context, if any)."""
    set_at = _CLOCK.get()
    if set_at is None:
        return datetime.now(UTC)
    moment, started = set_at
    return moment + timedelta(seconds=time.monotonic() - started)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within the block (and the threads it starts with a copied context), `utcnow()` starts at
    `moment` and runs forward in real time: evals and fixtures pin "now" so "yesterday" is stable."""
    if moment.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware moment")
    token = _CLOCK.set((moment.astimezone(UTC), time.monotonic()))
    try:
        yield
    finally:
        _CLOCK.reset(token)


class Base(DeclarativeBase):
    """All ORM models share one metadata so Alembic sees one schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), Decimal: Numeric(14, 2)}


def str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """Store a StrEnum as its value in a VARCHAR (no PostgreSQL enum type to migrate)."""
    return Enum(enum_class, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class UUIDPrimaryKey:
    """A random UUID primary key (never guessable across tenants)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class CreatedAt:
    """A server-stamped creation time."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, index=False)


class TenantOwned:
    """Every tenant-owned row names its client; row-level security filters on this column.

    Each table leads one of its indexes with client_id (RLS adds `client_id = …` to every query).
    """

    client_id: Mapped[str] = mapped_column(String(40), ForeignKey("clients.id", ondelete="CASCADE"))


_SERVER_DEFAULT = object()
"""A column the INSERT leaves out when the object has no value: the server's default fills it."""


@functools.cache
def _insert_columns(model: type[Base]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, column, default) of each column `row_values` writes, worked out once per model:
    the default is a callable, a constant, None (nullable) or `_SERVER_DEFAULT`."""
    plan: list[tuple[str, str, Any]] = []
    for attribute in inspect(model).column_attrs:
        column = attribute.columns[0]
        default = column.default
        if isinstance(default, CallableColumnDefault):
            fill = functools.partial(default.arg, None)
        elif isinstance(default, ScalarElementColumnDefault):
            fill = functools.partial(_constant, default.arg)
        elif column.nullable:
            fill = functools.partial(_constant, None)
        else:
            fill = _SERVER_DEFAULT
        plan.append((attribute.key, column.key, fill))
    return tuple(plan)


def _constant(value: object) -> object:
    return value


def row_values(obj: Base) -> dict[str, Any]:
    """What an INSERT of the new object `obj` writes, by column: its own attributes, else each
    column's Python-side default, set on `obj` too (as loaded, with no change history) so it holds
    what the row will (for a Core INSERT where the ORM's unit of work would cost more than the
    statement)."""
    values: dict[str, Any] = {}
    own = obj.__dict__
    for key, column_key, fill in _insert_columns(type(obj)):
        if key not in own:
            if fill is _SERVER_DEFAULT:
                continue  # the server's default, or the statement gives it
            set_committed_value(obj, key, fill())
        values[column_key] = own[key]
    return values


def new_row(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """What an INSERT of a new `model` with `values` (by attribute) writes, by column: as
    `row_values`, each column not given its Python-side default, with no ORM object built."""
    row: dict[str, Any] = {}
    for key, column_key, fill in _insert_columns(model):
        if key in values:
            row[column_key] = values[key]
        elif fill is not _SERVER_DEFAULT:
            row[column_key] = fill()
    return row


def json_rows(rows: list[dict[str, Any]]) -> str:
    """`row_values` of one table's rows as a JSON array (for `jsonb_populate_recordset`): decimals,
    UUIDs and times as their exact text, which PostgreSQL reads back into the column types."""
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("rows inserted together give the same columns")
    return orjson.dumps(rows, default=_decimal_text).decode()


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no JSON text for {type(value).__name__}")


def attach_inserted(session: Session, *objects: Base) -> None:
    """Make objects whose rows a Core INSERT wrote persistent in `session`, as written (no SQL)."""
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        session.add(obj)


TENANT_TABLES: list[str] = []
"""Tables under row-level security; filled as tenant models are declared (see `tenant_table`)."""


def tenant_table(cls: type) -> type:
    """Class decorator registering a model's table for row-level security."""
    TENANT_TABLES.append(cls.__tablename__)  # type: ignore[attr-defined]
    return cls
