"""POST /auth/login, /auth/register and /auth/2fa/enroll."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from api.auth import CurrentContext, OwnerContext
from api.deps import RedisDep, SessionDep, SettingsDep
from api.limits import LoginLockout, enforce
from api.problems import PROBLEM_RESPONSES, problem_response
from api.schemas.auth import LoginRequest, TokenRead, TotpEnrollment, UserCreate, UserRead
from api.security import Principal, issue_token, new_totp_secret, totp_uri
from domain import auth as auth_service
from domain.errors import AuthenticationFailed
from domain.models import Channel, User
from infra import crypto

router = APIRouter(prefix="/auth", tags=["auth"])

LOGINS_PER_IP_PER_MINUTE = 30


@router.post(
    "/login",
    responses={
        401: problem_response("Wrong client, username or password"),
        429: PROBLEM_RESPONSES[429] | {"description": "Too many attempts from this IP, or the username is locked"},
    },
)
def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep, redis: RedisDep
) -> TokenRead:
    """Exchange client id, username and password for a bearer token.

    Failures are audited and counted; five in 15 minutes lock the username for the rest of the window.
    """
    enforce(
        redis,
        f"rl:login-ip:{request.client.host if request.client else '-'}",
        LOGINS_PER_IP_PER_MINUTE,
        60,
        "login attempts",
    )
    lockout = LoginLockout(redis)
    lockout.check(body.client_id, body.username)
    try:
        if body.client_id is None:
            admin = auth_service.authenticate_platform_admin(session, body.username, body.password)
            principal = Principal(admin.id, admin.username, None, None)
        else:
            user = auth_service.authenticate(session, body.client_id, body.username, body.password, Channel.REST)
            principal = Principal(user.id, user.username, user.role, user.client_id)
    except AuthenticationFailed:
        lockout.failed(body.client_id, body.username)
        session.commit()  # keep the failed-login audit event
        raise
    lockout.succeeded(body.client_id, body.username)
    ttl = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    return TokenRead(
        access_token=issue_token(settings.secret_key(), principal, ttl),
        expires_in=int(ttl.total_seconds()),
        role=principal.role.value if principal.role else "superadmin",
        client_id=principal.client_id,
    )


@router.post("/register", status_code=201)
def register(body: UserCreate, ctx: OwnerContext, session: SessionDep) -> UserRead:
    """An owner adds a staff member or another owner to their business."""
    user = auth_service.create_user(session, ctx, body.username, body.password, body.role)
    return UserRead.model_validate(user)


@router.post("/2fa/enroll")
def enroll_second_factor(ctx: CurrentContext, session: SessionDep, settings: SettingsDep) -> TotpEnrollment:
    """Create (or replace) the caller's TOTP seed and return the otpauth URI to scan.

    From then on the authenticator's current code is the X-2FA-Code for sensitive changes.
    """
    user = session.get(User, ctx.user_id)
    assert user is not None
    secret = new_totp_secret()
    user.totp_secret_encrypted = crypto.encrypt(settings.secret_key(), secret)
    return TotpEnrollment(otpauth_uri=totp_uri(secret, f"{ctx.client_id}:{user.username}", "Easy Ecom"), secret=secret)
