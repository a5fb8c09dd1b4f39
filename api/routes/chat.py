"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from api.auth import CurrentContext
from api.schemas.chat import ChatReply, ChatRequest
from domain.context import Context
from domain.models import Channel
from graph.builder import build_graph
from graph.conversation import run_turn
from graph.memory import thread_key
from tools.runtime import ToolEnv

router = APIRouter(prefix="/chat", tags=["chat"])


@router.post("")
def chat(body: ChatRequest, ctx: CurrentContext, request: Request) -> ChatReply:
    """Send one message; the reply comes from the sales, stock or discount specialist."""
    state = request.app.state
    conversation = body.thread_id or uuid.uuid4().hex
    agent_ctx = Context(ctx.client_id, ctx.role, Channel.REST, ctx.user_id, actor_name=ctx.actor_name)
    graph = build_graph(ToolEnv(agent_ctx, state.session_factory), state.chat_model, checkpointer=state.checkpointer)
    turn = run_turn(graph, thread_key("rest", ctx.client_id, str(ctx.user_id), conversation), body.message)
    return ChatReply(
        reply=turn.reply, thread_id=conversation, tool_calls=turn.record.tools, pending_approval=turn.pending
    )
