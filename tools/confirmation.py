"""The two ways a tool pauses the graph before a write (LangGraph `interrupt`):

- `ask_to_confirm`: the requester confirms a summary of exactly what will change; the channel
  resumes with {"confirmed": bool} from their next message.
- `submit`: the action goes to the domain (`approvals.submit`), which runs it, or, when only the
  owner may, records it as a pending approval; then the tool pauses until the owner decides
  (whoever records the decision, which runs the action, resumes the requester's thread).

The code before a pause runs again on resume, so it only reads or writes idempotently (the
request key is the tool call id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langgraph.config import get_config
from langgraph.types import interrupt
from sqlalchemy.orm import Session

from domain import approvals
from domain.approvals import ActionRequest
from domain.context import Context
from domain.models import Approval, ApprovalStatus
from tools.runtime import ToolEnv


def confirmation_request(action: str, summary: str) -> dict[str, Any]:
    """What a paused tool hands the channel: show `summary`, ask for yes or no."""
    return {"kind": "confirm", "action": action, "summary": summary}


def is_confirmed(answer: object) -> bool:
    """Whether the channel resumed with the customer's explicit yes."""
    return isinstance(answer, dict) and answer.get("confirmed") is True


@dataclass(frozen=True)
class Answer:
    """The requester's answer to a summary: an explicit yes, and their words (a change they ask
    for instead of a yes comes back to the model in them)."""

    confirmed: bool
    text: str


def confirmation_answer(action: str, summary: str) -> Answer:
    """Pause until the requester answers `summary`; confirmed only by an explicit yes."""
    answer = interrupt(confirmation_request(action, summary))
    text = str(answer.get("text", "")) if isinstance(answer, dict) else ""
    return Answer(is_confirmed(answer), text)


def ask_to_confirm(action: str, summary: str) -> bool:
    """Pause until the requester answers `summary`; True only for an explicit yes."""
    return confirmation_answer(action, summary).confirmed


def current_thread() -> str:
    """The checkpoint thread of the conversation this tool runs in (where a decision resumes)."""
    return str(get_config().get("configurable", {}).get("thread_id", ""))


def request_key(tool_call_id: str) -> str:
    """The idempotency key of a tool call's write (a retried resume writes nothing twice)."""
    return f"agent:{tool_call_id}"


@dataclass(frozen=True)
class Outcome:
    """What became of a submitted action: `done` (ran at once), or the owner's `approved`,
    `rejected` or `failed` (approved, but refused when it ran); `result` is what it produced."""

    status: str
    result: dict[str, Any]

    @property
    def ran(self) -> bool:
        return self.status in ("done", ApprovalStatus.APPROVED.value)


def _state(approval: Approval) -> tuple[Any, ApprovalStatus, dict[str, Any]]:
    return approval.id, approval.status, dict(approval.result or {})


def submit(env: ToolEnv, build: Callable[[Session, Context], ActionRequest]) -> Outcome:
    """Submit the action `build` describes; if it waits for the owner, pause until decided."""

    def send(session: Session, ctx: Context) -> tuple[Any, ApprovalStatus | None, dict[str, Any]]:
        outcome = approvals.submit(session, ctx, build(session, ctx))
        if isinstance(outcome, Approval):
            return _state(outcome)
        return None, None, approvals.describe(outcome)

    approval_id, status, result = env.run(send)
    if status is None:
        return Outcome("done", result)
    if status is ApprovalStatus.PENDING:
        summary = env.run(lambda session, ctx: approvals.get_approval(session, ctx, approval_id).summary)
        interrupt({"kind": "approval", "approval_id": str(approval_id), "summary": summary})
        _, status, result = env.run(lambda session, ctx: _state(approvals.get_approval(session, ctx, approval_id)))
    return Outcome(status.value, result)
