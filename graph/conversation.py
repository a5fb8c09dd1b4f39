"""One user turn through the graph, the same for every channel: a new message, or the answer to
a confirmation the graph is waiting for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage
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


def run_turn(graph: CompiledStateGraph, thread_id: str, text: str, limits: AgentLimits | None = None) -> Turn:
    """Send `text` to the thread. If the graph waits for a confirmation, `text` answers it: an
    explicit yes confirms, anything else declines (nothing is written without a yes)."""
    meter = TurnMeter()
    config: RunnableConfig = {
        "configurable": {"thread_id": thread_id},
        "recursion_limit": (limits or AgentLimits()).recursion_limit,
        "callbacks": [meter],
    }
    waiting = graph.get_state(config).interrupts
    if waiting:
        result = graph.invoke(Command(resume={"confirmed": bool(YES.match(text))}), config)
    else:
        result = graph.invoke({"messages": [HumanMessage(text)]}, config)
    paused = result.get("__interrupt__") or []
    if paused:
        request = paused[0].value
        return Turn(f"{request['summary']}\n{CONFIRM_PROMPT}", meter.record, pending={"id": paused[0].id, **request})
    return Turn(str(result["messages"][-1].content), meter.record)
