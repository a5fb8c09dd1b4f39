"""An OpenAI-compatible chat endpoint faked at the HTTP boundary (respx): requests and responses in
OpenAI's wire format (streamed or not, tool calls and usage included). What it answers is decided
by a script: the offline model's deterministic policy over the request's messages and tools, or a
hostile script of fixed tool calls."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from graph.offline import OfflineChatModel

BASE_URL = "https://llm.test/v1"
Brain = Callable[[list[BaseMessage], tuple[str, ...]], AIMessage]


def to_messages(wire: list[dict[str, Any]]) -> list[BaseMessage]:
    """OpenAI chat messages as LangChain messages (tool results get the name of their call)."""
    names: dict[str, str] = {}
    out: list[BaseMessage] = []
    for m in wire:
        content = m.get("content") or ""
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        if m["role"] in ("system", "developer"):
            out.append(SystemMessage(content))
        elif m["role"] == "user":
            out.append(HumanMessage(content))
        elif m["role"] == "assistant":
            calls = [
                {"id": c["id"], "name": c["function"]["name"], "args": json.loads(c["function"]["arguments"] or "{}")}
                for c in m.get("tool_calls") or []
            ]
            names.update({c["id"]: c["name"] for c in calls})
            out.append(AIMessage(content, tool_calls=calls))
        elif m["role"] == "tool":
            out.append(ToolMessage(content, tool_call_id=m["tool_call_id"], name=names.get(m["tool_call_id"], "")))
    return out


def offline_brain(messages: list[BaseMessage], tools: tuple[str, ...]) -> AIMessage:
    """The offline model's decision for these messages and tools."""
    return OfflineChatModel(bound_tools=tools).respond(messages)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _response(request: httpx.Request, brain: Brain) -> httpx.Response:
    body = json.loads(request.content)
    tools = tuple(t["function"]["name"] for t in body.get("tools") or [])
    reply = brain(to_messages(body["messages"]), tools)
    calls = [
        {
            "id": c.get("id") or f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
        }
        for c in reply.tool_calls
    ]
    usage = {
        "prompt_tokens": _tokens(json.dumps(body["messages"])),
        "completion_tokens": _tokens(str(reply.content) + json.dumps(calls)),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    finish = "tool_calls" if calls else "stop"
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:8]}", "created": 1764460800, "model": body["model"]}
    if not body.get("stream"):
        message = {
            "role": "assistant",
            "content": str(reply.content) or None,
            **({"tool_calls": calls} if calls else {}),
        }
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return httpx.Response(200, json=base | {"object": "chat.completion", "choices": [choice], "usage": usage})
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": str(reply.content)}]
    for index, call in enumerate(calls):
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        deltas += [
            {"tool_calls": [head]},
            {"tool_calls": [{"index": index, "function": {"arguments": call["function"]["arguments"]}}]},
        ]
    chunk = base | {"object": "chat.completion.chunk"}
    events = [chunk | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    events.append(chunk | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    events.append(chunk | {"choices": [], "usage": usage})
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


class WireLog:
    """What the fake endpoint saw: each request's model and tool names (thread-safe)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, tuple[str, ...]]] = []
        self._lock = threading.Lock()

    def add(self, request: httpx.Request) -> None:
        body = json.loads(request.content)
        with self._lock:
            self.requests.append((body["model"], tuple(t["function"]["name"] for t in body.get("tools") or [])))


@contextmanager
def openai_endpoint(brains: dict[str, Brain]) -> Iterator[WireLog]:
    """Serve `BASE_URL/chat/completions` for the block, each model name by its brain; yields the
    request log."""
    log = WireLog()

    def handle(request: httpx.Request) -> httpx.Response:
        log.add(request)
        return _response(request, brains[json.loads(request.content)["model"]])

    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE_URL}/chat/completions").mock(side_effect=handle)
        yield log
