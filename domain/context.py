"""Who is acting, for which tenant, through which channel: passed explicitly to every service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from domain.errors import Forbidden
from domain.models import Channel, Role
from infra.db import FIXED_KEY, TENANT_KEY, set_tenant


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
    def account(self) -> tuple[uuid.UUID, str] | None:
        """(user id, role) of the acting user's account, which a unit of work opened with it as
        `actor` checks in its scoping statement; None when no user acts (a customer, the system)."""
        return (self.user_id, self.role.value) if self.user_id is not None else None

    @property
    def is_staff_or_owner(self) -> bool:
        return self.role in (Role.OWNER, Role.STAFF)

    def require(self, *roles: Role, action: str) -> None:
        """Raise Forbidden unless the actor has one of `roles`."""
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise Forbidden(f"{action} needs the {allowed} role; you act as {self.role.value}")

    def require_staff(self, *, action: str) -> None:
        """Raise Forbidden unless the actor works for the business (owner or staff)."""
        self.require(Role.OWNER, Role.STAFF, action=action)

    def with_second_factor(self) -> Context:
        """The same principal after a verified second factor (TOTP) for a sensitive operation."""
        return replace(self, second_factor_verified=True)


def scoped(session: Session, ctx: Context) -> Session:
    """`session`, checked to be scoped to the context's tenant (row-level security). A unit of
    work opened for a tenant (`infra.db.transaction`) keeps it: a service called for another
    tenant on it is a bug and raises. A session without a tenant yet is scoped here."""
    current = session.info.get(TENANT_KEY)
    if current == ctx.client_id:
        return session
    if current is not None and session.info.get(FIXED_KEY):
        raise RuntimeError(f"this transaction belongs to tenant {current!r}, not {ctx.client_id!r}")
    set_tenant(session, ctx.client_id)
    return session
