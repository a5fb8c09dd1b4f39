"""POST /auth/login, /auth/register and /auth/2fa/enroll."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request

from api.auth import CurrentCaller, OwnerCaller
from api.client_ip import client_ip
from api.deps import RuntimeDep, SettingsDep
from api.limits import enforce
from api.problems import PROBLEM_RESPONSES, problem_response
from api.routing import ApiRouter
from api.schemas.auth import LoginRequest, TokenRead, TotpEnrollment, TotpEnrollRequest, UserCreate, UserRead
from api.security import Principal, issue_token
from domain import auth as auth_service
from domain import second_factor
from domain.models import Channel, User
from infra.db import transaction

router = ApiRouter(prefix="/auth", tags=["auth"])

LOGINS_PER_IP_PER_MINUTE = 30


@router.post(
    "/login",
    responses={
        401: problem_response("Wrong client, username or password"),
        429: PROBLEM_RESPONSES[429] | {"description": "Too many attempts from this IP, or the username is locked"},
    },
)
def login(body: LoginRequest, request: Request, runtime: RuntimeDep, settings: SettingsDep) -> TokenRead:
    """Exchange client id, username and password for a bearer token.

    Failures are audited and counted; five in 15 minutes from one address lock the username for that
    address, fifty from anywhere lock it everywhere, for the rest of the window (docs/security.md).
    """
    ip = client_ip(request.scope, settings.trusted_proxies())
    enforce(runtime.redis, runtime.local_counters, f"rl:login-ip:{ip}", LOGINS_PER_IP_PER_MINUTE, 60, "login attempts")
    with transaction(runtime.sessions) as session:  # committed with the failed-login audit event too
        attempt = auth_service.login(
            session, runtime.lockout, body.client_id, body.username, body.password, Channel.REST, ip
        )
    account = attempt.accepted()
    if isinstance(account, User):
        principal = Principal(account.id, account.username, account.role, account.client_id)
    else:
        principal = Principal(account.id, account.username, None, None)
    ttl = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    return TokenRead(
        access_token=issue_token(settings.secret_key(), principal, ttl),
        expires_in=int(ttl.total_seconds()),
        role=principal.role.value if principal.role else "superadmin",
        client_id=principal.client_id,
    )


@router.post("/register", status_code=201)
def register(body: UserCreate, caller: OwnerCaller) -> UserRead:
    """An owner adds a staff member or another owner to their business."""
    with caller.transaction() as (session, ctx):
        return UserRead.model_validate(auth_service.create_user(session, ctx, body.username, body.password, body.role))


@router.post(
    "/2fa/enroll",
    responses={
        403: problem_response("Wrong password, or wrong or missing current code"),
        429: problem_response("The second factor is locked after repeated failures"),
    },
)
def enroll_second_factor(
    caller: CurrentCaller,
    settings: SettingsDep,
    body: TotpEnrollRequest | None = None,
    x_2fa_code: Annotated[str | None, Header(description="Your current authenticator's code (to replace it)")] = None,
) -> TotpEnrollment:
    """Create the caller's TOTP seed (send your password) or replace it (send the current code as
    X-2FA-Code), and return the otpauth URI to scan. Failures count towards the second factor's
    lockout; every attempt is audited.

    From then on the authenticator's current code is the X-2FA-Code for sensitive changes.
    """
    password = body.password if body else None
    with caller.transaction() as (session, ctx):  # committed with a failed attempt's audit event too
        checked = second_factor.enroll(session, ctx, settings.secret_key(), code=x_2fa_code, password=password)
    enrollment = checked.accepted()
    return TotpEnrollment(otpauth_uri=enrollment.uri, secret=enrollment.secret)
