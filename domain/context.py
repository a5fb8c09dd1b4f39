"""Who is acting, for which tenant, through which channel: passed explicitly to every service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from domain.errors import Forbidden
from domain.models import Channel, Role
from infra.db import TENANT_KEY, set_tenant


@dataclass(frozen=True)
class Context:
    """The acting principal. Built by a channel from its authentication, never from model output."""

    client_id: str
    role: Role
    channel: Channel
    user_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    actor_name: str = ""
    second_factor_verified: bool = False

    @property
    def is_staff_or_owner(self) -> bool:
        return self.role in (Role.OWNER, Role.STAFF)

    def require(self, *roles: Role, action: str) -> None:
        """Raise Forbidden unless the actor has one of `roles`."""
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise Forbidden(f"{action} needs the {allowed} role; you act as {self.role.value}")

    def with_second_factor(self) -> Context:
        """The same principal after a verified second factor (TOTP) for a sensitive operation."""
        return replace(self, second_factor_verified=True)


def scoped(session: Session, ctx: Context) -> Session:
    """Scope `session` to the context's tenant (row-level security) and return it."""
    if session.info.get(TENANT_KEY) != ctx.client_id:
        set_tenant(session, ctx.client_id)
    return session
