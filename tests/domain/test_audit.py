"""The audit log's listing and counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from domain import audit, auth
from domain.context import Context
from domain.errors import AuthenticationFailed, Forbidden
from domain.models import Channel, Role
from domain.models.base import utcnow


def test_events_are_counted_by_action_and_time_like_they_are_listed(
    db: Session, tenant_a: Context, tenant_b: Context
) -> None:
    auth.authenticate(db, "shop_a", "owner", "owner-password", Channel.REST)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db, "shop_a", "owner", "wrong-password", Channel.REST)
    events, everything = audit.list_events(db, tenant_a)
    assert everything == len(events) >= 3  # user created, login, failed login
    assert audit.list_events(db, tenant_a, action=audit.Action.LOGIN_FAILED)[1] == 1
    assert audit.list_events(db, tenant_a, since=utcnow() + timedelta(minutes=1)) == ([], 0)
    assert audit.list_events(db, tenant_b, action=audit.Action.LOGIN) == ([], 0)


def test_staff_cannot_count_the_audit_log(db: Session, tenant_a: Context) -> None:
    with pytest.raises(Forbidden):
        audit.list_events(db, Context(tenant_a.client_id, Role.STAFF, Channel.REST))
