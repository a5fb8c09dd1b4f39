"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from langgraph.graph.state import CompiledStateGraph

from api.auth import CurrentContext, OwnerContext
from api.schemas.chat import ApprovalDecision, ApprovalOutcome, ApprovalView, ChatReply, ChatRequest
from api.schemas.common import Page, PageQuery
from domain import approvals
from domain.context import Context
from domain.models import Approval, Channel
from graph.conversation import (
    Turn,
    TurnEvent,
    UsageLedger,
    resume_with_decision,
    run_turn,
    stream_turn,
)
from graph.memory import thread_key
from infra.db import transaction
from tools.runtime import ToolEnv

router = APIRouter(prefix="/chat", tags=["chat"])
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conversation:
    """This user's graph, the conversation id they see, its checkpoint thread and usage recorder."""

    graph: CompiledStateGraph
    id: str
    thread: str
    ledger: UsageLedger


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
        ledger=UsageLedger(env),
    )


def _reply(turn: Turn, conversation: str) -> ChatReply:
    return ChatReply(
        reply=turn.reply, thread_id=conversation, tool_calls=turn.record.tools, pending_approval=turn.pending
    )


@router.post("")
def chat(body: ChatRequest, ctx: CurrentContext, request: Request) -> ChatReply:
    """Send one message; the reply comes from the sales, stock or discount specialist."""
    talk = _conversation(body, ctx, request)
    return _reply(run_turn(talk.graph, talk.thread, body.message, ledger=talk.ledger), talk.id)


@router.post("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
def chat_stream(body: ChatRequest, ctx: CurrentContext, request: Request) -> StreamingResponse:
    """The same as POST /chat, as server-sent events: `token` and `tool` events, then `done`
    carrying the ChatReply."""
    talk = _conversation(body, ctx, request)

    def events() -> Iterator[str]:
        for item in stream_turn(talk.graph, talk.thread, body.message, ledger=talk.ledger):
            if isinstance(item, TurnEvent):
                yield f"event: {item.kind}\ndata: {json.dumps(item.data)}\n\n"
            else:
                yield f"event: done\ndata: {_reply(item, talk.id).model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _view(approval: Approval) -> ApprovalView:
    return ApprovalView(
        id=approval.id,
        kind=approval.kind.value,
        summary=approval.summary,
        payload=approval.payload,
        status=approval.status.value,
        requested_role=approval.requested_role.value,
        requested_channel=approval.requested_channel.value,
        created_at=approval.created_at,
        decided_at=approval.decided_at,
    )


@router.get("/approvals")
def list_approvals(ctx: OwnerContext, request: Request, page: PageQuery) -> Page[ApprovalView]:
    """Requests waiting for the owner (pending first, then decided ones, newest first)."""
    with transaction(request.app.state.session_factory, ctx.client_id) as session:
        items, total = approvals.list_approvals(session, ctx, limit=page.limit, offset=page.offset)
        views = [_view(a) for a in items]
    return Page(items=views, total=total, limit=page.limit, offset=page.offset)


@router.post("/approvals/{approval_id}")
def decide_approval(
    approval_id: uuid.UUID, body: ApprovalDecision, ctx: OwnerContext, request: Request
) -> ApprovalOutcome:
    """Approve or reject a pending request, then resume the requester's conversation with the
    decision; the reply is what the requester now sees. 409 if it was already decided."""
    state = request.app.state
    with transaction(state.session_factory, ctx.client_id) as session:  # committed before resuming
        approval = approvals.decide(session, ctx, approval_id, approve=body.approve)
        requester, thread, status = approvals.requester(approval), approval.thread_id, approval.status.value
    env = ToolEnv(requester, state.session_factory)
    graph = state.graph_cache.get(env, state.chat_model, state.checkpointer)
    try:
        turn = resume_with_decision(graph, thread, body.approve, ledger=UsageLedger(env))
    except LookupError:
        log.warning("approval %s decided, but its thread is no longer waiting", approval_id)
        return ApprovalOutcome(status=status, reply="")
    return ApprovalOutcome(status=status, reply=turn.reply)
