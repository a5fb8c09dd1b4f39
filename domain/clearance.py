"""The owner's approval as the clearance a service accepts in place of the owner acting themself."""

from __future__ import annotations

from domain.errors import ApprovalRequired, Forbidden
from domain.models import Approval, ApprovalKind, ApprovalStatus


def require_clearance(approval: Approval | None, kind: ApprovalKind, why: str, **expected: object) -> None:
    """Pass only if `approval` is the owner's approved request of `kind` for exactly this action
    (its payload matches `expected`); without one, raise ApprovalRequired saying `why`."""
    if approval is None:
        raise ApprovalRequired(f"{why}; it needs the owner's approval", kind=kind.value)
    if approval.status is not ApprovalStatus.APPROVED or approval.kind is not kind:
        raise Forbidden(f"this needs the owner's approval ({kind.value})")
    mismatched = [key for key, value in expected.items() if approval.payload.get(key) != value]
    if mismatched:
        raise Forbidden(f"the owner's approval was for a different request ({', '.join(mismatched)})")
