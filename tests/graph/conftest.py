"""Graph fixtures: compile the real graph for a principal, tools on the test's transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from sqlalchemy.orm import Session, sessionmaker

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Role
from graph.builder import AgentLimits, build_graph
from graph.offline import OfflineChatModel
from tools.runtime import ToolEnv

Build = Callable[..., CompiledStateGraph]


@pytest.fixture
def sessions(db: Session) -> sessionmaker[Session]:
    """Sessions for tools, joining the test's rolled-back transaction."""
    return sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


def customer_named(db: Session, shop: Context, wa_id: str, name: str) -> Context:
    """A WhatsApp customer of `shop`, as the principal the channel would build."""
    customer = tenancy.get_or_create_customer(db, shop, wa_id=wa_id, name=name)
    return Context(shop.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=customer.id)


@pytest.fixture
def alice(db: Session, tenant_a: Context) -> Context:
    """A customer of shop A."""
    return customer_named(db, tenant_a, "2348011111111", "Alice")


@pytest.fixture
def bob(db: Session, tenant_a: Context) -> Context:
    """Another customer of shop A."""
    return customer_named(db, tenant_a, "2348022222222", "Bob")


@pytest.fixture
def build(sessions: sessionmaker[Session]) -> Build:
    """build(ctx, model=OfflineChatModel(), limits=None) -> a compiled graph with an in-memory checkpointer."""

    def make(ctx: Context, model: BaseChatModel | None = None, limits: AgentLimits | None = None) -> CompiledStateGraph:
        return build_graph(
            ToolEnv(ctx, sessions), model or OfflineChatModel(), checkpointer=InMemorySaver(), limits=limits
        )

    return make


def say(graph: CompiledStateGraph, text: str, thread: str = "t-1") -> dict:
    """One user turn; returns the final state."""
    return graph.invoke({"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread}})


def reply(state: dict) -> str:
    """What the user reads: the last message of the turn."""
    return str(state["messages"][-1].content)


def delegated_to(state: dict) -> list[str]:
    """Names of the supervisor's delegation calls in the thread."""
    return [call["name"] for m in state["messages"] for call in getattr(m, "tool_calls", [])]
