"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from langgraph.graph.state import CompiledStateGraph

from api.auth import CurrentContext
from api.schemas.chat import ChatReply, ChatRequest
from domain.context import Context
from domain.models import Channel
from graph.conversation import Turn, TurnEvent, run_turn, stream_turn
from graph.memory import thread_key
from tools.runtime import ToolEnv

router = APIRouter(prefix="/chat", tags=["chat"])


def _conversation(body: ChatRequest, ctx: Context, request: Request) -> tuple[CompiledStateGraph, str, str]:
    """The graph for this user, the conversation id, and its checkpoint thread."""
    state = request.app.state
    conversation = body.thread_id or uuid.uuid4().hex
    agent_ctx = Context(ctx.client_id, ctx.role, Channel.REST, ctx.user_id, actor_name=ctx.actor_name)
    graph = state.graph_cache.get(ToolEnv(agent_ctx, state.session_factory), state.chat_model, state.checkpointer)
    return graph, conversation, thread_key("rest", ctx.client_id, str(ctx.user_id), conversation)


def _reply(turn: Turn, conversation: str) -> ChatReply:
    return ChatReply(
        reply=turn.reply, thread_id=conversation, tool_calls=turn.record.tools, pending_approval=turn.pending
    )


@router.post("")
def chat(body: ChatRequest, ctx: CurrentContext, request: Request) -> ChatReply:
    """Send one message; the reply comes from the sales, stock or discount specialist."""
    graph, conversation, thread = _conversation(body, ctx, request)
    return _reply(run_turn(graph, thread, body.message), conversation)


@router.post("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
def chat_stream(body: ChatRequest, ctx: CurrentContext, request: Request) -> StreamingResponse:
    """The same as POST /chat, as server-sent events: `token` and `tool` events, then `done`
    carrying the ChatReply."""
    graph, conversation, thread = _conversation(body, ctx, request)

    def events() -> Iterator[str]:
        for item in stream_turn(graph, thread, body.message):
            if isinstance(item, TurnEvent):
                yield f"event: {item.kind}\ndata: {json.dumps(item.data)}\n\n"
            else:
                yield f"event: done\ndata: {_reply(item, conversation).model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
