"""One user turn through the graph, the same for every channel: a new message, or the answer to
a confirmation the graph is waiting for. Streamed as events; `run_turn` keeps only the end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from graph.builder import AgentLimits
from graph.metering import TurnMeter, TurnRecord

YES = re.compile(r"^\s*(?:yes|yeah|yep|y|ok(?:ay)?|sure|confirm(?:ed)?|go ahead|please do)\b", re.IGNORECASE)
CONFIRM_PROMPT = "Reply YES to confirm, or NO to cancel."


@dataclass(frozen=True)
class Turn:
    """What the channel shows: the reply, the tools used, and any confirmation still awaited."""

    reply: str
    record: TurnRecord
    pending: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True)
class TurnEvent:
    """A streamed piece of a turn: `token` (text), `tool` (a tool being called)."""

    kind: str
    data: dict[str, Any]


def stream_turn(
    graph: CompiledStateGraph, thread_id: str, text: str, limits: AgentLimits | None = None
) -> Iterator[TurnEvent | Turn]:
    """Send `text` to the thread, yielding token and tool events, then the finished Turn.

    If the graph waits for a confirmation, `text` answers it: an explicit yes confirms, anything
    else declines (nothing is written without a yes).
    """
    meter = TurnMeter()
    config: RunnableConfig = {
        "configurable": {"thread_id": thread_id},
        "recursion_limit": (limits or AgentLimits()).recursion_limit,
        "callbacks": [meter],
    }
    if graph.get_state(config).interrupts:
        payload: Any = Command(resume={"confirmed": bool(YES.match(text))})
    else:
        payload = {"messages": [HumanMessage(text)]}
    for _namespace, (message, _metadata) in graph.stream(payload, config, stream_mode="messages", subgraphs=True):
        if not isinstance(message, AIMessage | AIMessageChunk):
            continue  # tool results; the specialist's answer already streamed as its tokens
        chunks = getattr(message, "tool_call_chunks", None) or message.tool_calls
        for call in chunks:
            if call.get("name"):
                yield TurnEvent("tool", {"name": call["name"]})
        if message.content:
            yield TurnEvent("token", {"text": str(message.content)})
    state = graph.get_state(config)
    if state.interrupts:
        request = state.interrupts[0].value
        summary = f"{request['summary']}\n{CONFIRM_PROMPT}"
        yield Turn(summary, meter.record, pending={"id": state.interrupts[0].id, **request})
        return
    yield Turn(str(state.values["messages"][-1].content), meter.record)


def run_turn(graph: CompiledStateGraph, thread_id: str, text: str, limits: AgentLimits | None = None) -> Turn:
    """The finished turn, without the stream."""
    *_, last = stream_turn(graph, thread_id, text, limits)
    assert isinstance(last, Turn)
    return last
