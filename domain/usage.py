"""Usage metering: what each agent turn cost, per client, and the totals owners and evals read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Context, scoped
from domain.models import AgentTurn, Role


@dataclass(frozen=True)
class TurnUsage:
    """The cost of one turn, as the agent layer measured it."""

    thread_id: str
    llm_calls: int
    input_tokens: int
    output_tokens: int
    llm_ms: int
    total_ms: int
    tools: list[str]


@dataclass(frozen=True)
class ThreadUsage:
    """What one conversation has used so far."""

    turns: int
    tokens: int
    tool_calls: int


@dataclass(frozen=True)
class UsageTotals:
    """Sums over a period."""

    turns: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    p95_total_ms: int


def record_turn(session: Session, ctx: Context, usage: TurnUsage) -> None:
    """Append one turn's usage for the context's client."""
    scoped(session, ctx).add(
        AgentTurn(
            client_id=ctx.client_id,
            channel=ctx.channel.value,
            thread_id=usage.thread_id,
            llm_calls=usage.llm_calls,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            llm_ms=usage.llm_ms,
            total_ms=usage.total_ms,
            tools=usage.tools,
        )
    )
    session.flush()


def usage_totals(session: Session, ctx: Context, since: datetime) -> UsageTotals:
    """Turns, LLM calls, tokens and p95 latency since `since` (owners only; aggregated in SQL)."""
    ctx.require(Role.OWNER, action="reading agent usage")
    row = (
        scoped(session, ctx)
        .execute(
            select(
                func.count(AgentTurn.id),
                func.coalesce(func.sum(AgentTurn.llm_calls), 0),
                func.coalesce(func.sum(AgentTurn.input_tokens), 0),
                func.coalesce(func.sum(AgentTurn.output_tokens), 0),
                func.coalesce(func.percentile_disc(0.95).within_group(AgentTurn.total_ms), 0),
            ).where(AgentTurn.client_id == ctx.client_id, AgentTurn.created_at >= since)
        )
        .one()
    )
    return UsageTotals(*(int(value) for value in row))


def thread_usage(session: Session, ctx: Context, thread_id: str) -> ThreadUsage:
    """Turns, tokens and tool calls one conversation has used (for the per-conversation caps)."""
    row = (
        scoped(session, ctx)
        .execute(
            select(
                func.count(AgentTurn.id),
                func.coalesce(func.sum(AgentTurn.input_tokens + AgentTurn.output_tokens), 0),
                func.coalesce(func.sum(func.jsonb_array_length(AgentTurn.tools)), 0),
            ).where(AgentTurn.client_id == ctx.client_id, AgentTurn.thread_id == thread_id)
        )
        .one()
    )
    return ThreadUsage(*(int(value) for value in row))


@dataclass(frozen=True)
class ThreadSummary:
    """One conversation as the usage ledger knows it: its thread, how many turns, when it was last used."""

    thread_id: str
    turns: int
    last_at: datetime


def list_threads(session: Session, ctx: Context, prefix: str, *, limit: int = 10) -> list[ThreadSummary]:
    """The client's conversations whose thread starts with `prefix` (a channel's thread key of one
    principal), most recently used first."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    last_at = func.max(AgentTurn.created_at)
    rows = scoped(session, ctx).execute(
        select(AgentTurn.thread_id, func.count(AgentTurn.id), last_at)
        .where(AgentTurn.client_id == ctx.client_id, AgentTurn.thread_id.like(pattern, escape="\\"))
        .group_by(AgentTurn.thread_id)
        .order_by(last_at.desc(), AgentTurn.thread_id)
        .limit(limit)
    )
    return [ThreadSummary(thread_id, int(turns), at) for thread_id, turns, at in rows]
