"""Agent graph overhead and LLM calls per conversation.

1. Per-turn overhead with an instant model (the offline model: pure Python, microseconds), so the
   time is everything except the LLM: compiling the graph for the user, tools, PostgreSQL and the
   Postgres checkpointer. Target: p95 <= 50 ms on this machine.
2. LLM calls for a typical order conversation (browse, order, confirm, track) in our graph
   (specialists as return-direct tools) and in a plain langgraph-supervisor build of the same
   specialists (the supervisor speaks again after every hand-back).

    pip install -c requirements/lock.txt -e '.[bench]'   # langgraph-supervisor for part 2
    python -m bench.graph_overhead [--turns 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from bench.support import SECRET, BenchDatabase, bench_database, percentile
from domain import demo
from domain.context import Context
from domain.models import Channel, Role
from graph.builder import GraphCache, build_graph
from graph.memory import open_checkpointer
from graph.metering import TurnMeter
from graph.offline import OfflineChatModel
from graph.runtime import freeze_startup_heap
from graph.turns import run_turn
from infra.db import make_engine, make_session_factory, transaction
from infra.settings import Settings
from tools.checkout import build_checkout_tools
from tools.discount import build_discount_tools
from tools.runtime import ToolEnv
from tools.sales import build_sales_tools
from tools.stock import build_stock_tools

SHOP = "bench_shop"
MIX = [
    "do you have linen summer shirts?",
    "how many CCTS00-M in stock?",
    "can I get 10% off 2 canvas tote bags?",
    "what is running low on stock?",
    "when do you close?",
    "hello",
]
ORDER_CONVERSATION = [
    "do you have linen summer shirts?",
    "I want to buy 2 linen summer shirts in M, deliver to 5 Admiralty Way, Lekki",
    "yes",
    "where is order 1001?",
]


def seed_shop(database: BenchDatabase) -> ToolEnv:
    """The demo shop as SHOP; a staff member's tool environment over the application role."""
    engine = make_engine(database.app_url, pool_size=10)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        demo.seed(session, Settings(_env_file=None, SECRET_KEY=SECRET), client_id=SHOP)
    return ToolEnv(Context(SHOP, Role.STAFF, Channel.CHAT, actor_name="bench"), sessions)


def measure_overhead(env: ToolEnv, checkpointer: BaseCheckpointSaver, turns: int) -> None:
    """Print p50/p95 of building the graph and of a whole turn, over a mix of requests."""
    model, cache = OfflineChatModel(), GraphCache()
    build_ms, turn_ms = [], []
    for i in range(turns):
        started = time.perf_counter()
        graph = cache.get(env, model, checkpointer)  # as the API does: compiled once per principal per minute
        built = time.perf_counter()
        run_turn(graph, f"bench-{i % 20}", MIX[i % len(MIX)])
        done = time.perf_counter()
        build_ms.append((built - started) * 1000)
        turn_ms.append((done - started) * 1000)
    print(f"graph overhead per turn, {turns} turns, instant model, PostgreSQL + Postgres checkpointer")
    print(f"  get graph        p50 {percentile(build_ms, 50):6.1f} ms   p95 {percentile(build_ms, 95):6.1f} ms")
    print(f"  whole turn       p50 {percentile(turn_ms, 50):6.1f} ms   p95 {percentile(turn_ms, 95):6.1f} ms")
    print(f"  (target p95 <= 50 ms: {'met' if percentile(turn_ms, 95) <= 50 else 'NOT met'})")


def count_calls(turn: Callable[[str, TurnMeter], None]) -> list[int]:
    """LLM calls per message of the order conversation."""
    calls = []
    for text in ORDER_CONVERSATION:
        meter = TurnMeter()
        turn(text, meter)
        calls.append(meter.record.llm_calls)
    return calls


def _is_handoff(message: BaseMessage) -> bool:
    calls = getattr(message, "tool_calls", None) or []
    return (isinstance(message, ToolMessage) and str(message.name).startswith("transfer_")) or any(
        c["name"].startswith("transfer_") for c in calls
    )


class HandoffSpeaker(BaseChatModel):
    """The offline model taught langgraph-supervisor's protocol: `transfer_to_<agent>` hand-offs,
    and a final supervisor message after each hand-back (repeating the agent's answer)."""

    inner: OfflineChatModel = OfflineChatModel()
    bound: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "handoff-speaker"

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], **kwargs: Any
    ) -> Runnable:
        names = tuple(t.name if isinstance(t, BaseTool) else str(t) for t in tools)
        return self.model_copy(update={"bound": names, "inner": self.inner.bind_tools(tools)})  # type: ignore[arg-type]

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        if not any(name.startswith("transfer_to_") for name in self.bound):  # a specialist: hide hand-offs
            own = [m for m in messages if not _is_handoff(m)]
            return ChatResult(generations=[ChatGeneration(message=self.inner.respond(own))])
        if isinstance(messages[-1], HumanMessage):
            asked = OfflineChatModel(bound_tools=("ask_sales", "ask_stock", "ask_discount")).respond(messages)
            calls = [
                {**c, "name": c["name"].replace("ask_", "transfer_to_") + "_agent", "args": {}}
                for c in asked.tool_calls
            ]
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=asked.content, tool_calls=calls))])
        answer = next(m for m in reversed(messages) if isinstance(m, AIMessage) and m.content and not m.tool_calls)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer.content))])


def plain_supervisor(env: ToolEnv, checkpointer: BaseCheckpointSaver) -> CompiledStateGraph:
    """The same specialists and tools under langgraph-supervisor."""
    from langgraph_supervisor import create_supervisor

    model = HandoffSpeaker()
    sales = build_sales_tools(env)
    search = next(t for t in sales if t.name == "search_products")
    agents = [
        create_agent(model, [*sales, *build_checkout_tools(env)], name="sales_agent"),
        create_agent(model, [search, *build_stock_tools(env)], name="stock_agent"),
        create_agent(model, [search, *build_discount_tools(env)], name="discount_agent"),
    ]
    return create_supervisor(agents, model=model).compile(checkpointer=checkpointer)


def compare_llm_calls(env: ToolEnv, checkpointer: BaseCheckpointSaver) -> None:
    """Print LLM calls per message for both designs."""
    ours = build_graph(env, OfflineChatModel(), checkpointer=checkpointer)
    mine = count_calls(lambda text, meter: run_turn_metered(ours, "calls-ours", text, meter))
    print("LLM calls for the order conversation (browse, order, confirm, track):")
    print(f"  sub-agents as return-direct tools: {mine} = {sum(mine)}")
    try:
        theirs_graph = plain_supervisor(env, checkpointer)
    except ImportError:
        print("  langgraph-supervisor: not installed (pip install -e '.[bench]')")
        return
    theirs = count_calls(lambda text, meter: run_turn_metered(theirs_graph, "calls-theirs", text, meter))
    print(f"  plain langgraph-supervisor:        {theirs} = {sum(theirs)}")


def run_turn_metered(graph: CompiledStateGraph, thread: str, text: str, meter: TurnMeter) -> None:
    """One turn (answering a pending confirmation when there is one), metered."""
    config: Any = {"configurable": {"thread_id": thread}, "callbacks": [meter], "recursion_limit": 40}
    waiting = graph.get_state(config).interrupts
    payload: Any = Command(resume={"confirmed": text == "yes"}) if waiting else {"messages": [HumanMessage(text)]}
    graph.invoke(payload, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    with bench_database() as database:
        env = seed_shop(database)
        checkpointer, pool = open_checkpointer(database.app_url)
        freeze_startup_heap()  # as every serving process does once started
        try:
            measure_overhead(env, checkpointer, args.turns)
            compare_llm_calls(env, checkpointer)
        finally:
            pool.close()


if __name__ == "__main__":
    main()
