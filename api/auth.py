"""Authentication dependencies: the bearer token → the caller, whose routes open their own
transaction (tenant-scoped, the account checked active in it).

No dependency here touches the database: the token is verified in the event loop, and the
account check runs inside the route's transaction (`Caller.transaction`), in the route's thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.security import Principal, read_token
from domain import auth as auth_service
from domain import second_factor
from domain.context import Context
from domain.errors import AuthenticationFailed, Forbidden
from domain.models import Role
from graph.runtime import Runtime
from infra.db import transaction

bearer = HTTPBearer(auto_error=False, description="The access token from POST /api/v1/auth/login")


BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _principal(runtime: Runtime, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller named by a valid bearer token (401 otherwise)."""
    if credentials is None:
        raise AuthenticationFailed("send `Authorization: Bearer <token>` from POST /api/v1/auth/login")
    return read_token(runtime.settings.secret_key(), credentials.credentials)


@dataclass(frozen=True)
class Caller:
    """A shop user named by their token; `transaction()` is the request's one unit of work."""

    ctx: Context
    runtime: Runtime
    second_factor_code: str | None = None

    @contextmanager
    def transaction(self) -> Iterator[tuple[Session, Context]]:
        """One transaction scoped to the caller's shop (RLS), after checking the account is still
        active: committed when the block ends, rolled back if it raises. For second-factor routes
        the code is checked first in its own committed transaction, so a used-up step, a failure
        count and its audit event stay recorded whatever the route then does."""
        ctx = self.ctx
        if self.second_factor_code is not None:
            settings = self.runtime.settings
            static = "" if settings.is_production else settings.ORDER_EDIT_2FA_CODE
            with transaction(self.runtime.sessions, ctx.client_id, actor=ctx.account) as session:
                auth_service.require_active(session, ctx)
                checked = second_factor.verify(session, ctx, self.second_factor_code, settings.secret_key(), static)
            ctx = checked.accepted()
        with transaction(self.runtime.sessions, ctx.client_id, actor=ctx.account) as session:
            auth_service.require_active(session, ctx)
            yield session, ctx


async def get_caller(request: Request, credentials: BearerToken) -> Caller:
    """A shop user (owner or staff); the platform superadmin has no shop. One dependency besides
    the bearer scheme, not a chain of them: FastAPI resolves each on every request."""
    runtime: Runtime = request.app.state.runtime
    return Caller(_principal(runtime, credentials).context(), runtime)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_owner(caller: CurrentCaller) -> Caller:
    """Owners only (403 for staff)."""
    caller.ctx.require(Role.OWNER, action="this")
    return caller


OwnerCaller = Annotated[Caller, Depends(get_owner)]


async def get_second_factor_caller(
    caller: CurrentCaller,
    x_2fa_code: Annotated[str | None, Header(description="Your authenticator's current code")] = None,
) -> Caller:
    """A caller whose transaction verifies a second factor: the user's current TOTP code, or
    (outside production only) the static ORDER_EDIT_2FA_CODE."""
    if not x_2fa_code:
        raise Forbidden("this change needs a second factor: send the X-2FA-Code header")
    return Caller(caller.ctx, caller.runtime, x_2fa_code)


SecondFactorCaller = Annotated[Caller, Depends(get_second_factor_caller)]


async def get_optional_second_factor_caller(
    caller: CurrentCaller,
    x_2fa_code: Annotated[str | None, Header(description="Your authenticator's current code, when needed")] = None,
) -> Caller:
    """A caller whose transaction verifies `X-2FA-Code` when one is sent (a wrong code is 403);
    the domain decides whether the operation needs one."""
    return Caller(caller.ctx, caller.runtime, x_2fa_code) if x_2fa_code else caller


OptionalSecondFactorCaller = Annotated[Caller, Depends(get_optional_second_factor_caller)]


@dataclass(frozen=True)
class Admin:
    """The platform superadmin; `transaction()` may read across tenants (admin routes only)."""

    principal: Principal
    runtime: Runtime

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction in the platform admin's scope."""
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            yield session


async def get_superadmin(request: Request, credentials: BearerToken) -> Admin:
    """The platform superadmin (403 for shop users)."""
    runtime: Runtime = request.app.state.runtime
    principal = _principal(runtime, credentials)
    if not principal.is_superadmin:
        raise Forbidden("only the platform superadmin may use the admin routes")
    return Admin(principal, runtime)


SuperAdmin = Annotated[Admin, Depends(get_superadmin)]
