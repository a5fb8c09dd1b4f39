"""Pure rules of personal WhatsApp numbers: which tapped button decides which approval, and how a
one-time code is kept."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.personal_numbers import approval_choice, code_hash

APPROVAL = uuid.UUID("5f0c3a52-8a41-4c1e-9d43-0b1f5a6f7e21")


def button(reply_id: str, kind: str = "button_reply") -> dict[str, Any]:
    return {"type": "interactive", "interactive": {"type": kind, kind: {"id": reply_id, "title": "Approve"}}}


def test_a_tapped_approve_or_reject_button_names_its_approval() -> None:
    assert approval_choice("interactive", button(f"approval:{APPROVAL}:approve")) == (APPROVAL, True)
    assert approval_choice("interactive", button(f"approval:{APPROVAL}:reject")) == (APPROVAL, False)


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("text", {"type": "text", "text": {"body": f"approval:{APPROVAL}:approve"}}),  # typed, not tapped
        ("interactive", button(f"approval:{APPROVAL}:approve", kind="list_reply")),
        ("interactive", button(f"approval:{APPROVAL}:approve:extra")),
        ("interactive", button(f"approval:{APPROVAL}:maybe")),
        ("interactive", button("approval:" + "-" * 36 + ":approve")),
        ("interactive", button("yes")),
        ("interactive", {"type": "interactive"}),
        ("interactive", {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": None}}),
    ],
)
def test_anything_but_a_tapped_approval_button_decides_nothing(kind: str, payload: dict[str, Any]) -> None:
    assert approval_choice(kind, payload) is None


def test_a_code_is_kept_as_a_keyed_hash_bound_to_the_user_and_the_number() -> None:
    user = uuid.uuid4()
    kept = code_hash("app-secret", user, "15551230001", "123456")
    assert len(kept) == 64
    assert "123456" not in kept
    assert kept == code_hash("app-secret", user, "15551230001", " 123456 ")
    others = {
        code_hash("other-secret", user, "15551230001", "123456"),
        code_hash("app-secret", uuid.uuid4(), "15551230001", "123456"),
        code_hash("app-secret", user, "15551230002", "123456"),
        code_hash("app-secret", user, "15551230001", "123457"),
    }
    assert kept not in others
    assert len(others) == 4
