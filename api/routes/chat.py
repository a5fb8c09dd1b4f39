"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from langchain_core.messages import HumanMessage

from api.auth import CurrentContext
from api.schemas.chat import ChatReply, ChatRequest
from domain.context import Context
from domain.models import Channel
from graph.builder import AgentLimits, build_graph
from graph.memory import thread_key
from graph.metering import TurnMeter
from tools.runtime import ToolEnv

router = APIRouter(prefix="/chat", tags=["chat"])


@router.post("")
def chat(body: ChatRequest, ctx: CurrentContext, request: Request) -> ChatReply:
    """Send one message; the reply comes from the sales, stock or discount specialist."""
    state = request.app.state
    conversation = body.thread_id or uuid.uuid4().hex
    agent_ctx = Context(ctx.client_id, ctx.role, Channel.REST, ctx.user_id, actor_name=ctx.actor_name)
    graph = build_graph(ToolEnv(agent_ctx, state.session_factory), state.chat_model, checkpointer=state.checkpointer)
    meter = TurnMeter()
    config = {
        "configurable": {"thread_id": thread_key("rest", ctx.client_id, str(ctx.user_id), conversation)},
        "recursion_limit": AgentLimits().recursion_limit,
        "callbacks": [meter],
    }
    result = graph.invoke({"messages": [HumanMessage(body.message)]}, config)
    return ChatReply(reply=str(result["messages"][-1].content), thread_id=conversation, tool_calls=meter.record.tools)
