"""Chat schemas: one user message in, the agent's reply out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ThreadId = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ChatRequest(BaseModel):
    """A message to the agent; omit `thread_id` to start a new conversation."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000)
    thread_id: str | None = ThreadId


class ChatReply(BaseModel):
    """The agent's answer, the conversation to continue, and the tools it used this turn."""

    reply: str
    thread_id: str
    tool_calls: list[str]
    pending_approval: dict[str, object] | None = None
