"""The agent graph: a supervisor whose tools are the sales and discount specialists (staff and
owners also stock and customers; owners also analytics).

Sub-agents as tools (LangChain's recommended pattern; langgraph-supervisor is frozen upstream):
each specialist is a `create_agent` graph called through an `ask_*` tool with `return_direct`, so
its answer reaches the user without the supervisor paraphrasing it (one LLM call saved per turn).
Only the outer graph has the checkpointer. Tools are built per conversation from the channel's
principal, so a customer never holds staff tools.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentState, ModelCallLimitMiddleware, ToolCallLimitMiddleware, before_model
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, trim_messages
from langchain_core.tools import BaseTool
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from domain import tenancy
from domain.models import Role
from graph import prompts
from tools.analytics import build_analytics_tools
from tools.checkout import build_checkout_tools
from tools.customers import build_customer_tools
from tools.discount import build_discount_tools
from tools.order_changes import build_order_change_tools
from tools.runtime import ToolEnv, make_tool
from tools.sales import build_sales_tools
from tools.stock import build_stock_tools


@dataclass(frozen=True)
class AgentLimits:
    """Bounds on one conversation: history kept, model and tool calls per turn, and what a whole
    conversation may spend (tokens, tool calls) before it must start afresh."""

    history_messages: int = 40
    model_calls_per_turn: int = 12
    tool_calls_per_turn: int = 12
    recursion_limit: int = 40
    tokens_per_conversation: int = 200_000
    tool_calls_per_conversation: int = 300


def _bounded_history(limit: int) -> Any:
    @before_model
    def keep_recent_messages(state: AgentState, runtime: Runtime) -> dict[str, Any] | None:
        """Keep the last `limit` messages, starting at a user message (tool calls stay paired)."""
        messages = state["messages"]
        if len(messages) <= limit:
            return None
        kept = trim_messages(messages, max_tokens=limit, token_counter=len, strategy="last", start_on="human")
        return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *kept]}

    return keep_recent_messages


def _delegate(name: str, description: str, specialist: CompiledStateGraph, limits: AgentLimits) -> BaseTool:
    def ask(request: str) -> str:
        result = specialist.invoke({"messages": [HumanMessage(request)]}, {"recursion_limit": limits.recursion_limit})
        answers = [m for m in result["messages"] if isinstance(m, AIMessage) and m.content]
        return str(answers[-1].content) if answers else "Sorry, I could not work that out."

    ask.__name__ = f"ask_{name}"
    ask.__doc__ = f"""Hand the request to the {name} specialist; its answer goes to the user as is.

        Args:
            request: the user's request, in their words.
        """
    tool = make_tool(ask)
    tool.return_direct = True
    tool.description = description
    return tool


def build_graph(
    env: ToolEnv, model: BaseChatModel, *, checkpointer: Checkpointer | None = None, limits: AgentLimits | None = None
) -> CompiledStateGraph:
    """Compile the supervisor graph for one conversation's principal."""
    limits = limits or AgentLimits()
    info = env.run(lambda session, ctx: tenancy.business_info(session, ctx))
    sales_tools = build_sales_tools(env)
    search = next(t for t in sales_tools if t.name == "search_products")
    specialists: dict[str, tuple[str, list[BaseTool]]] = {
        "sales": (prompts.SALES, [*sales_tools, *build_checkout_tools(env), *build_order_change_tools(env)]),
        "discount": (prompts.DISCOUNT, [search, *build_discount_tools(env)]),
    }
    if env.ctx.is_staff_or_owner:
        specialists["stock"] = (prompts.STOCK, [search, *build_stock_tools(env)])
        specialists["customers"] = (prompts.CUSTOMERS, build_customer_tools(env))
    if env.ctx.role is Role.OWNER:
        specialists["analytics"] = (prompts.ANALYTICS, build_analytics_tools(env))
    delegates = [
        _delegate(
            name,
            prompts.SPECIALISTS[name],
            create_agent(model, tools, system_prompt=prompts.specialist_prompt(prompt, info), name=f"{name}_agent"),
            limits,
        )
        for name, (prompt, tools) in specialists.items()
    ]
    return create_agent(
        model,
        delegates,
        system_prompt=prompts.supervisor_prompt(info, list(specialists)),
        checkpointer=checkpointer,
        middleware=[
            _bounded_history(limits.history_messages),
            ModelCallLimitMiddleware(run_limit=limits.model_calls_per_turn, exit_behavior="end"),
            ToolCallLimitMiddleware(run_limit=limits.tool_calls_per_turn, exit_behavior="continue"),
        ],
        name="supervisor",
    )


class GraphCache:
    """Compiled graphs per principal, reused for `ttl_s` seconds.

    A compiled graph holds no conversation state (that lives in the checkpointer), so requests and
    threads share it; the TTL bounds how long a profile edit (hours, policy text) takes to show.
    """

    def __init__(self, ttl_s: float = 60.0, max_entries: int = 512) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._graphs: OrderedDict[tuple[object, ...], tuple[float, CompiledStateGraph]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, env: ToolEnv, model: BaseChatModel, checkpointer: Checkpointer | None) -> CompiledStateGraph:
        """The graph for this principal, model and checkpointer, compiled at most once per TTL."""
        key = (env.ctx, env.sessions, id(model), id(checkpointer))
        now = time.monotonic()
        with self._lock:
            hit = self._graphs.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                self._graphs.move_to_end(key)
                return hit[1]
        graph = build_graph(env, model, checkpointer=checkpointer)
        with self._lock:
            self._graphs[key] = (now, graph)
            while len(self._graphs) > self.max_entries:
                self._graphs.popitem(last=False)
        return graph
