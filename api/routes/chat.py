"""/chat: talk to the agent (owners and staff, with their token; customers come through WhatsApp).
Each route is a call into the conversation service, which every channel shares."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from fastapi.responses import StreamingResponse

from api.auth import CurrentCaller
from api.deps import ConversationsDep
from api.routing import ApiRouter
from api.schemas.chat import ChatReply, ChatRequest
from graph.turns import Turn, TurnEvent

router = ApiRouter(prefix="/chat", tags=["chat"])


def _reply(turn: Turn, conversation: str) -> ChatReply:
    return ChatReply(
        reply=turn.reply, thread_id=conversation, tool_calls=turn.record.tools, pending_approval=turn.pending
    )


@router.post("")
def chat(body: ChatRequest, caller: CurrentCaller, conversations: ConversationsDep) -> ChatReply:
    """Send one message; the reply comes from the sales, stock, discount or analytics specialist.
    Omit `thread_id` to start a conversation; send the returned one to continue it."""
    conversation = body.thread_id or uuid.uuid4().hex
    return _reply(conversations.send(caller.ctx, body.message, conversation), conversation)


@router.post("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
def chat_stream(body: ChatRequest, caller: CurrentCaller, conversations: ConversationsDep) -> StreamingResponse:
    """The same as POST /chat, as server-sent events: `token`, `tool` and `tool_result` (a call's
    arguments and output) events, then `done` carrying the ChatReply."""
    conversation = body.thread_id or uuid.uuid4().hex

    def events() -> Iterator[str]:
        for item in conversations.stream(caller.ctx, body.message, conversation):
            if isinstance(item, TurnEvent):
                yield f"event: {item.kind}\ndata: {json.dumps(item.data)}\n\n"
            else:
                yield f"event: done\ndata: {_reply(item, conversation).model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
