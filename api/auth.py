"""Authentication dependencies: the bearer token → principal → tenant-scoped domain context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.security import Principal, read_token, totp_matches
from domain.context import Context
from domain.errors import AuthenticationFailed, Forbidden
from domain.models import Role, User
from infra import crypto
from infra.db import set_tenant

bearer = HTTPBearer(auto_error=False, description="The access token from POST /api/v1/auth/login")


def get_principal(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller named by a valid bearer token (401 otherwise)."""
    if credentials is None:
        raise AuthenticationFailed("send `Authorization: Bearer <token>` from POST /api/v1/auth/login")
    return read_token(settings.secret_key(), credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_context(principal: PrincipalDep, session: SessionDep) -> Context:
    """The tenant user's context; scopes the request's transaction to their client (RLS).

    The user must still exist and be active: a token outlives neither.
    """
    ctx = principal.context()
    set_tenant(session, ctx.client_id)
    active = session.scalar(
        select(User.is_active).where(User.id == ctx.user_id, User.client_id == ctx.client_id, User.role == ctx.role)
    )
    if not active:
        raise AuthenticationFailed("this account no longer exists or is disabled")
    return ctx


CurrentContext = Annotated[Context, Depends(get_context)]


def get_owner_context(ctx: CurrentContext) -> Context:
    """Owners only (403 for staff)."""
    ctx.require(Role.OWNER, action="this")
    return ctx


OwnerContext = Annotated[Context, Depends(get_owner_context)]


def get_superadmin(principal: PrincipalDep, session: SessionDep) -> Principal:
    """The platform superadmin; the session may read across tenants for admin routes only."""
    if not principal.is_superadmin:
        raise Forbidden("only the platform superadmin may use the admin routes")
    set_tenant(session, None, platform_admin=True)
    return principal


SuperAdmin = Annotated[Principal, Depends(get_superadmin)]


def get_second_factor_context(
    ctx: CurrentContext,
    session: SessionDep,
    settings: SettingsDep,
    x_2fa_code: Annotated[str | None, Header(description="Your authenticator's current code")] = None,
) -> Context:
    """The context with a verified second factor: the user's current TOTP code, or (outside
    production only) the static ORDER_EDIT_2FA_CODE."""
    if not x_2fa_code:
        raise Forbidden("this change needs a second factor: send the X-2FA-Code header")
    user = session.get(User, ctx.user_id)
    assert user is not None
    if user.totp_secret_encrypted and totp_matches(
        crypto.decrypt(settings.secret_key(), user.totp_secret_encrypted), x_2fa_code
    ):
        return ctx.with_second_factor()
    static = settings.ORDER_EDIT_2FA_CODE
    if not settings.is_production and static and x_2fa_code == static:
        return ctx.with_second_factor()
    raise Forbidden("the X-2FA-Code is wrong or expired")


SecondFactorContext = Annotated[Context, Depends(get_second_factor_context)]


def get_optional_second_factor_context(
    ctx: CurrentContext,
    session: SessionDep,
    settings: SettingsDep,
    x_2fa_code: Annotated[str | None, Header(description="Your authenticator's current code, when needed")] = None,
) -> Context:
    """The context, with a verified second factor when `X-2FA-Code` is sent (a wrong code is 403);
    the domain decides whether the operation needs one."""
    return get_second_factor_context(ctx, session, settings, x_2fa_code) if x_2fa_code else ctx


OptionalSecondFactorContext = Annotated[Context, Depends(get_optional_second_factor_context)]
