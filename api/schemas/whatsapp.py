"""WhatsApp schemas: the simulate route's message, the message log, the inbox, templates, the
customers' conversations and the handoff."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Text


class SimulatedInbound(BaseModel):
    """A message as if a customer had sent it on WhatsApp: `text`, or a raw Cloud API `message`
    object (interactive, order, …) without its id and sender."""

    model_config = ConfigDict(extra="forbid")

    wa_id: str = Field(pattern=r"^[1-9][0-9]{6,14}$", description="the customer's WhatsApp number, digits only")
    name: Text = Field(default="", max_length=200)
    text: Text | None = Field(default=None, min_length=1, max_length=4096)
    message: dict[str, Any] | None = Field(default=None, description="a Cloud API message object, e.g. an order")

    @model_validator(mode="after")
    def _one_of(self) -> SimulatedInbound:
        if (self.text is None) == (self.message is None):
            raise ValueError("give either `text` or `message`")
        if self.message is not None and not isinstance(self.message.get("type"), str):
            raise ValueError("`message` needs a `type`")
        return self


class InboundAccepted(BaseModel):
    """The simulated message is in the inbox; its reply shows in GET /chat/messages."""

    id: uuid.UUID
    wamid: str


class MessageLogLine(BaseModel):
    """One inbound or outbound message with its timings, tokens and status."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    direction: str
    at: datetime
    wa_id: str
    kind: str
    text: str
    state: str
    status: str | None
    customer_id: uuid.UUID | None
    attempts: int
    error: str
    input_tokens: int
    output_tokens: int
    llm_ms: int
    turn_ms: int
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    done_at: datetime | None
    user_id: uuid.UUID | None = None
    inbox_id: uuid.UUID | None = None


class InboxRead(BaseModel):
    """An inbound message in the inbox (with its attempts and last error, for dead letters)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    wamid: str
    wa_id: str
    kind: str
    state: str
    attempts: int
    last_error: str
    received_at: datetime
    done_at: datetime | None


class TemplateRead(BaseModel):
    """A message template of the business's WhatsApp Business Account."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    language: str
    category: str
    status: str
    body: str
    variables: int
    refreshed_at: datetime


class HumanMessage(BaseModel):
    """What a person answering as the business says to the customer."""

    model_config = ConfigDict(extra="forbid")

    text: Text = Field(min_length=1, max_length=4096)


class Handoff(BaseModel):
    """Who answers the customer: the agent (`handled_by` null) or a person."""

    customer_id: uuid.UUID
    handled_by: str | None


class CustomerThreadRead(BaseModel):
    """A customer's WhatsApp conversation: who answers them (`handled_by` null: the agent), the
    24-hour window, whether they wait for an answer, their latest messages newest first."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: uuid.UUID
    name: str
    wa_id: str
    handled_by: str | None
    last_inbound_at: datetime | None
    window_open: bool
    waiting: bool
    messages: list[MessageLogLine]


class MessageFiguresRead(BaseModel):
    """The message log summed over a period."""

    model_config = ConfigDict(from_attributes=True)

    since: datetime
    inbound: int
    outbound: int
    sent: int
    delivered: int
    read: int
    failed: int
    dead: int
    pending: int
    input_tokens: int
    output_tokens: int
    reply_p50_ms: int | None
    reply_p95_ms: int | None
