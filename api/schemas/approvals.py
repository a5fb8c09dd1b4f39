"""Approval schemas: a request for the owner, the owner's decision, and its outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.models import ApprovalKind, ApprovalStatus, Channel, Role


class ApprovalRead(BaseModel):
    """A sensitive action waiting for (or decided by) the owner: what was asked, by whom, through
    which channel, and, once decided, what running it produced (`result`: the order or stock
    movement, or the refusal when it `failed`)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ApprovalKind
    summary: str
    payload: dict[str, Any]
    status: ApprovalStatus
    result: dict[str, Any] | None
    requested_role: Role
    requested_channel: Channel
    created_at: datetime
    decided_at: datetime | None


class ApprovalDecision(BaseModel):
    """The owner's answer to a pending approval."""

    model_config = ConfigDict(extra="forbid")

    approve: bool


class ApprovalOutcome(BaseModel):
    """The decided request, and the reply its requester now sees in their conversation (empty when
    no conversation was waiting, e.g. a REST request: read the approval instead)."""

    approval: ApprovalRead
    reply: str
