"""The two ways a tool pauses the graph before a write (LangGraph `interrupt`):

- `ask_to_confirm`: the requester confirms a summary of exactly what will change; the channel
  resumes with {"confirmed": bool} from their next message.
- `wait_for_owner`: the owner approves or rejects, later and maybe through another channel; the
  request is recorded in the domain (once per tool call id) and whoever decides it resumes the
  requester's thread with {"approved": bool}.

The code before a pause runs again on resume, so it only reads, or (an approval request) writes
idempotently under the tool call id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from langgraph.config import get_config
from langgraph.types import interrupt

from domain import approvals
from domain.approvals import ApprovalRequest
from domain.models import ApprovalKind
from tools.runtime import ToolEnv


def confirmation_request(action: str, summary: str) -> dict[str, Any]:
    """What a paused tool hands the channel: show `summary`, ask for yes or no."""
    return {"kind": "confirm", "action": action, "summary": summary}


def is_confirmed(answer: object) -> bool:
    """Whether the channel resumed with the customer's explicit yes."""
    return isinstance(answer, dict) and answer.get("confirmed") is True


def ask_to_confirm(action: str, summary: str) -> bool:
    """Pause until the requester answers `summary`; True only for an explicit yes."""
    return is_confirmed(interrupt(confirmation_request(action, summary)))


@dataclass(frozen=True)
class OwnerDecision:
    """The owner's answer to a recorded request."""

    approval_id: uuid.UUID
    approved: bool


def current_thread() -> str:
    """The checkpoint thread of the conversation this tool runs in (where a decision resumes)."""
    return str(get_config().get("configurable", {}).get("thread_id", ""))


def wait_for_owner(
    env: ToolEnv, kind: ApprovalKind, summary: str, payload: dict[str, Any], request_key: str
) -> OwnerDecision:
    """Record a request for the owner (idempotent under `request_key`) and pause until decided."""
    request = ApprovalRequest(kind, summary, payload, request_key, current_thread())
    approval_id = env.run(lambda session, ctx: approvals.request_approval(session, ctx, request).id)
    answer = interrupt({"kind": "approval", "approval_id": str(approval_id), "summary": summary})
    return OwnerDecision(approval_id, isinstance(answer, dict) and answer.get("approved") is True)
