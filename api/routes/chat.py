"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from langgraph.graph.state import CompiledStateGraph

from api.auth import CurrentContext
from api.schemas.chat import ChatReply, ChatRequest
from domain.context import Context
from domain.models import Channel
from graph.conversation import Recorder, Turn, TurnEvent, run_turn, stream_turn, usage_recorder
from graph.memory import thread_key
from tools.runtime import ToolEnv

router = APIRouter(prefix="/chat", tags=["chat"])


@dataclass(frozen=True)
class Conversation:
    """This user's graph, the conversation id they see, its checkpoint thread and usage recorder."""

    graph: CompiledStateGraph
    id: str
    thread: str
    record: Recorder


def _conversation(body: ChatRequest, ctx: Context, request: Request) -> Conversation:
    state = request.app.state
    conversation = body.thread_id or uuid.uuid4().hex
    env = ToolEnv(
        Context(ctx.client_id, ctx.role, Channel.REST, ctx.user_id, actor_name=ctx.actor_name), state.session_factory
    )
    return Conversation(
        graph=state.graph_cache.get(env, state.chat_model, state.checkpointer),
        id=conversation,
        thread=thread_key("rest", ctx.client_id, str(ctx.user_id), conversation),
        record=usage_recorder(env),
    )


def _reply(turn: Turn, conversation: str) -> ChatReply:
    return ChatReply(
        reply=turn.reply, thread_id=conversation, tool_calls=turn.record.tools, pending_approval=turn.pending
    )


@router.post("")
def chat(body: ChatRequest, ctx: CurrentContext, request: Request) -> ChatReply:
    """Send one message; the reply comes from the sales, stock or discount specialist."""
    talk = _conversation(body, ctx, request)
    return _reply(run_turn(talk.graph, talk.thread, body.message, record=talk.record), talk.id)


@router.post("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
def chat_stream(body: ChatRequest, ctx: CurrentContext, request: Request) -> StreamingResponse:
    """The same as POST /chat, as server-sent events: `token` and `tool` events, then `done`
    carrying the ChatReply."""
    talk = _conversation(body, ctx, request)

    def events() -> Iterator[str]:
        for item in stream_turn(talk.graph, talk.thread, body.message, record=talk.record):
            if isinstance(item, TurnEvent):
                yield f"event: {item.kind}\ndata: {json.dumps(item.data)}\n\n"
            else:
                yield f"event: done\ndata: {_reply(item, talk.id).model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
