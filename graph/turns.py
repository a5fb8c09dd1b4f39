"""One user turn through the graph, the same for every channel: a new message, or the answer to
a confirmation the graph is waiting for. Streamed as events; `run_turn` keeps only the end.

A thread waiting for the owner's approval is not resumed by the requester's messages (their
"yes" is not the owner's); only `resume_with_decision`, called by whoever records the owner's
decision, resumes it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from domain import usage
from domain.usage import TurnUsage
from graph.builder import AgentLimits
from graph.metering import TurnMeter, TurnRecord
from tools.runtime import ToolEnv

YES = re.compile(r"^\s*(?:yes|yeah|yep|y|ok(?:ay)?|sure|confirm(?:ed)?|go ahead|please do)\b", re.IGNORECASE)
CONFIRM_PROMPT = "Reply YES to go ahead, or NO to leave things as they are."
CONFIRM_PROMPTS = {
    "place_order": "Reply YES to place this order, NO to drop it, or tell me what to change.",
    "cancel_order": "Reply YES to cancel this order, or NO to keep it as it is.",
}
OWNER_PROMPT = "I have asked the owner to approve this; I will tell you their answer here."
STILL_WAITING = "This still waits for the owner's approval: {summary} I will tell you their answer here."


@dataclass(frozen=True)
class Turn:
    """What the channel shows: the reply, the tools used, and any confirmation still awaited."""

    reply: str
    record: TurnRecord
    pending: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True)
class TurnEvent:
    """A streamed piece of a turn: `token` (text), `tool` (a tool being called), `tool_result` (a
    tool call done: its id, name, arguments and output)."""

    kind: str
    data: dict[str, Any]


class ToolCalls:
    """The arguments of the turn's tool calls by call id, from whole messages or streamed chunks,
    so each tool result can be shown with the inputs that produced it."""

    def __init__(self) -> None:
        self._streamed: dict[str, AIMessageChunk] = {}
        self._args: dict[str, dict[str, Any]] = {}

    def seen(self, message: AIMessage | AIMessageChunk) -> None:
        """Note the calls of a model message (a chunk adds to the earlier chunks of its message)."""
        if isinstance(message, AIMessageChunk) and message.id:
            earlier = self._streamed.get(message.id)
            message = self._streamed[message.id] = message if earlier is None else earlier + message
        for call in message.tool_calls:
            if call.get("id"):
                self._args[call["id"]] = call["args"]

    def finished(self, result: ToolMessage) -> TurnEvent:
        """The `tool_result` event of a tool's answer."""
        return TurnEvent(
            "tool_result",
            {
                "id": result.tool_call_id,
                "name": result.name or "",
                "args": self._args.get(result.tool_call_id, {}),
                "output": str(result.content),
            },
        )


LIMIT_REACHED = (
    "This conversation has reached its limit ({what}). Please start a new conversation; "
    "your orders and everything you confirmed are kept."
)


@dataclass(frozen=True)
class UsageLedger:
    """Where a conversation's usage goes (each turn, durably, per client) and is read back for
    the per-conversation caps. Each call is its own small transaction."""

    env: ToolEnv

    def record(self, turn_usage: TurnUsage) -> None:
        """Append one turn's usage."""
        self.env.run(lambda session, ctx: usage.record_turn(session, ctx, turn_usage))

    def spent(self, thread_id: str) -> usage.ThreadUsage:
        """What the thread has used so far."""
        return self.env.run(lambda session, ctx: usage.thread_usage(session, ctx, thread_id))


def _over_budget(ledger: UsageLedger | None, thread_id: str, limits: AgentLimits) -> str | None:
    if ledger is None:
        return None
    spent = ledger.spent(thread_id)
    if spent.tokens >= limits.tokens_per_conversation:
        return f"{limits.tokens_per_conversation} tokens"
    if spent.tool_calls >= limits.tool_calls_per_conversation:
        return f"{limits.tool_calls_per_conversation} tool calls"
    return None


def stream_turn(
    graph: CompiledStateGraph,
    thread_id: str,
    text: str,
    *,
    limits: AgentLimits | None = None,
    ledger: UsageLedger | None = None,
) -> Iterator[TurnEvent | Turn]:
    """Send `text` to the thread, yielding token and tool events, then the finished Turn.

    If the graph waits for a confirmation, `text` answers it: an explicit yes confirms, anything
    else declines (nothing is written without a yes). With a `ledger`, the turn's usage is
    recorded, and a new message on a conversation past its token or tool-call budget is refused
    without calling the model (answering a pending confirmation is always allowed).
    """
    limits = limits or AgentLimits()
    config = _config(thread_id, limits)
    waiting = graph.get_state(config).interrupts
    if waiting and waiting[0].value.get("kind") == "approval":
        request = waiting[0].value
        yield Turn(STILL_WAITING.format(summary=request["summary"]), TurnRecord(), pending=_pending(waiting[0]))
        return
    if waiting:
        payload: Any = Command(resume={"confirmed": bool(YES.match(text)), "text": text})
    else:
        exhausted = _over_budget(ledger, thread_id, limits)
        if exhausted:
            yield Turn(LIMIT_REACHED.format(what=exhausted), TurnRecord())
            return
        payload = {"messages": [HumanMessage(text)]}
    yield from _run(graph, thread_id, config, payload, ledger)


def resume_with_decision(
    graph: CompiledStateGraph,
    thread_id: str,
    approved: bool,
    *,
    limits: AgentLimits | None = None,
    ledger: UsageLedger | None = None,
) -> Turn:
    """Resume a thread waiting for the owner with their decision; the Turn is what the requester
    will read. Raises LookupError if the thread is not waiting for an approval."""
    config = _config(thread_id, limits)
    waiting = graph.get_state(config).interrupts
    if not waiting or waiting[0].value.get("kind") != "approval":
        raise LookupError(f"thread {thread_id} is not waiting for an approval")
    *_, last = _run(graph, thread_id, config, Command(resume={"approved": approved}), ledger)
    assert isinstance(last, Turn)
    return last


def _config(thread_id: str, limits: AgentLimits | None) -> RunnableConfig:
    return {
        "configurable": {"thread_id": thread_id},
        "recursion_limit": (limits or AgentLimits()).recursion_limit,
    }


def _pending(interrupt: Any) -> dict[str, Any]:
    return {"id": interrupt.id, **interrupt.value}


def _run(
    graph: CompiledStateGraph, thread_id: str, config: RunnableConfig, payload: Any, ledger: UsageLedger | None
) -> Iterator[TurnEvent | Turn]:
    """Run the graph once; the turn's checkpoint is written when it ends or waits (durability
    "exit": one write per turn, and a turn cut off midway leaves no half of itself behind). The
    reply and any wait are read from the root graph's updates, so the state is not loaded again."""
    started = time.perf_counter()
    meter = TurnMeter()
    config = {**config, "callbacks": [meter]}
    calls = ToolCalls()
    last: BaseMessage | None = None
    waits: tuple[Any, ...] = ()
    for namespace, mode, data in graph.stream(
        payload, config, stream_mode=["messages", "updates"], subgraphs=True, durability="exit"
    ):
        if mode == "updates":
            if not namespace:  # the root graph: its newest message is the reply, its interrupt the wait
                waits = data.get("__interrupt__", waits)
                last = _newest_message(data) or last
            continue
        message, _metadata = data
        if isinstance(message, ToolMessage):
            yield calls.finished(message)  # the specialist's answer already streamed as its tokens
            continue
        if not isinstance(message, AIMessage | AIMessageChunk):
            continue
        calls.seen(message)
        chunks = getattr(message, "tool_call_chunks", None) or message.tool_calls
        for call in chunks:
            if call.get("name"):
                yield TurnEvent("tool", {"name": call["name"]})
        if message.content:
            yield TurnEvent("token", {"text": str(message.content)})
    if ledger is not None:
        ledger.record(_usage(thread_id, meter.record, time.perf_counter() - started))
    if waits:
        request = waits[0].value
        prompt = (
            OWNER_PROMPT
            if request.get("kind") == "approval"
            else CONFIRM_PROMPTS.get(str(request.get("action")), CONFIRM_PROMPT)
        )
        yield Turn(f"{request['summary']}\n{prompt}", meter.record, pending=_pending(waits[0]))
        return
    yield Turn(str(last.content) if last is not None else "", meter.record)


def _newest_message(update: dict[str, Any]) -> BaseMessage | None:
    """The last message a step of the root graph added, if it added any."""
    added = [u["messages"][-1] for u in update.values() if isinstance(u, dict) and u.get("messages")]
    return added[-1] if added else None


def _usage(thread_id: str, measured: TurnRecord, seconds: float) -> TurnUsage:
    return TurnUsage(
        thread_id=thread_id,
        llm_calls=measured.llm_calls,
        input_tokens=measured.input_tokens,
        output_tokens=measured.output_tokens,
        llm_ms=round(measured.llm_seconds * 1000),
        total_ms=round(seconds * 1000),
        tools=list(measured.tools),
    )


def run_turn(
    graph: CompiledStateGraph,
    thread_id: str,
    text: str,
    *,
    limits: AgentLimits | None = None,
    ledger: UsageLedger | None = None,
) -> Turn:
    """The finished turn, without the stream."""
    *_, last = stream_turn(graph, thread_id, text, limits=limits, ledger=ledger)
    assert isinstance(last, Turn)
    return last
