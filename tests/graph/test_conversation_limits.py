"""Per-conversation budgets, read from the durable usage records."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from domain.context import Context
from domain.models import Channel, Role
from graph.builder import AgentLimits
from graph.turns import UsageLedger, run_turn
from tests.graph.scripted import ScriptedChatModel
from tools.runtime import ToolEnv


def test_a_conversation_past_its_token_budget_is_refused_without_calling_the_model(tenant_a, sessions, build) -> None:
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    ledger = UsageLedger(ToolEnv(staff, sessions))
    limits = AgentLimits(tokens_per_conversation=50)
    model = ScriptedChatModel(
        script=[
            AIMessage(
                content="first answer", usage_metadata={"input_tokens": 40, "output_tokens": 20, "total_tokens": 60}
            )
        ]
        * 3
    )
    graph = build(staff, model=model, limits=limits)
    assert run_turn(graph, "t-budget", "hello", limits=limits, ledger=ledger).reply == "first answer"
    calls_before = len(model.seen)
    refused = run_turn(graph, "t-budget", "hello again", limits=limits, ledger=ledger)
    assert "reached its limit (50 tokens)" in refused.reply
    assert len(model.seen) == calls_before
    assert ledger.spent("t-budget").tokens == 60
    fresh = run_turn(graph, "t-new", "hello", limits=limits, ledger=ledger)
    assert fresh.reply == "first answer"


def test_tool_calls_count_against_the_conversation(tenant_a, make_variant, sessions, build) -> None:
    make_variant(tenant_a, "CAP-BUDGET", stock=2)
    staff = Context(tenant_a.client_id, Role.STAFF, Channel.CHAT)
    ledger = UsageLedger(ToolEnv(staff, sessions))
    limits = AgentLimits(tool_calls_per_conversation=2)
    graph = build(staff, limits=limits)
    first = run_turn(graph, "t-tools", "do you have a budget cap?", limits=limits, ledger=ledger)
    assert "CAP-BUDGET" in first.reply
    assert ledger.spent("t-tools").tool_calls == 2  # ask_sales + search_products
    assert "reached its limit (2 tool calls)" in run_turn(graph, "t-tools", "hi", limits=limits, ledger=ledger).reply
