"""/approvals: sensitive actions waiting for the owner, from any channel. Owners list and decide
them (deciding runs the action and resumes the requester's conversation); staff read their own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api.auth import CurrentCaller, OwnerCaller
from api.deps import ConversationsDep
from api.routing import ApiRouter
from api.schemas.approvals import ApprovalDecision, ApprovalOutcome, ApprovalRead
from api.schemas.common import Page, PageQuery
from domain.models import Approval, ApprovalStatus

router = ApiRouter(prefix="/approvals", tags=["approvals"])

ACCEPTED = {
    202: {
        "model": ApprovalRead,
        "description": "Only the owner may do this: it waits for their decision as this approval "
        "(GET /approvals/{id} shows the outcome once decided)",
    }
}


def accepted(response: Response, approval: Approval) -> ApprovalRead:
    """Answer 202 with the approval the request now waits on."""
    response.status_code = 202
    return ApprovalRead.model_validate(approval)


@router.get("")
def list_approvals(
    caller: CurrentCaller,
    conversations: ConversationsDep,
    page: PageQuery,
    status: Annotated[ApprovalStatus | None, Query()] = None,
) -> Page[ApprovalRead]:
    """Owners: every request of the business; staff: their own. Pending first, newest first."""
    items, total = conversations.list_approvals(caller.ctx, status=status, limit=page.limit, offset=page.offset)
    return Page(
        items=[ApprovalRead.model_validate(a) for a in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{approval_id}")
def get_approval(approval_id: uuid.UUID, caller: CurrentCaller, conversations: ConversationsDep) -> ApprovalRead:
    """One request and, once decided, its outcome."""
    return ApprovalRead.model_validate(conversations.get_approval(caller.ctx, approval_id))


@router.post("/{approval_id}")
def decide_approval(
    approval_id: uuid.UUID, body: ApprovalDecision, caller: OwnerCaller, conversations: ConversationsDep
) -> ApprovalOutcome:
    """Approve (the action runs now, once, as the requester) or reject a pending request, then
    resume the requester's conversation with the decision. 409 if it was already decided."""
    decision = conversations.decide(caller.ctx, approval_id, approve=body.approve)
    return ApprovalOutcome(approval=ApprovalRead.model_validate(decision.approval), reply=decision.reply)
