"""TOTP second factors: enrolment (proved by the current code, or the password when none is
enrolled), single-use codes (a user's last used time step is remembered), failures counted,
audited and locked out, and the owner's reset of a staff member's second factor.

A check returns its outcome instead of raising, so the caller commits the failure counter and
the audit event before refusing (`Checked.accepted()` raises the refusal afterwards).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import audit
from domain.auth import verify_password
from domain.context import Context, scoped
from domain.errors import AuthenticationFailed, DomainError, Forbidden, NotFound, RateLimited
from domain.models import Role, User
from domain.models.base import utcnow
from infra import crypto

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
DRIFT_STEPS = 1
"""Codes of the previous and the next 30 s step are accepted too (clock drift)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Checked(Generic[T]):
    """An outcome to hand back once the transaction that recorded the attempt is committed."""

    value: T | None = None
    refused: DomainError | None = None

    def accepted(self) -> T:
        """The value; raises the refusal instead when there is one."""
        if self.refused is not None:
            raise self.refused
        assert self.value is not None
        return self.value


@dataclass(frozen=True)
class TotpEnrollment:
    """A new authenticator seed and the otpauth:// URI to scan."""

    secret: str
    uri: str


def _locked_user(session: Session, ctx: Context, user_id: uuid.UUID | None) -> User:
    user = (
        scoped(session, ctx)
        .scalars(select(User).where(User.id == user_id, User.client_id == ctx.client_id).with_for_update())
        .first()
    )
    if user is None:
        raise AuthenticationFailed("this account no longer exists or is disabled")
    return user


def matching_step(secret: str, code: str, at: float) -> int | None:
    """The TOTP time step (within the drift window) whose code is `code`, or None."""
    totp = pyotp.TOTP(secret)
    now_step = int(at) // totp.interval
    code = code.strip()
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if totp.generate_otp(step) == code:
            return step
    return None


def _refuse(session: Session, ctx: Context, user: User, why: str) -> Forbidden:
    """Count a failed proof, audit it, and lock the second factor at MAX_FAILURES."""
    user.second_factor_failures += 1
    detail: dict[str, object] = {"reason": why, "failures": user.second_factor_failures}
    if user.second_factor_failures >= MAX_FAILURES:
        user.second_factor_locked_until = utcnow() + LOCK_FOR
        user.second_factor_failures = 0
        detail["locked_until"] = user.second_factor_locked_until.isoformat()
    session.flush()
    audit.record(session, ctx, audit.Action.SECOND_FACTOR_FAILED, target=("user", user.id), detail=detail)
    if "locked_until" in detail:
        minutes = int(LOCK_FOR.total_seconds() // 60)
        return Forbidden(f"the second factor is locked for {minutes} minutes after {MAX_FAILURES} wrong codes")
    return Forbidden(f"the X-2FA-Code is {why}")


def _lock_refusal(user: User) -> RateLimited | None:
    if user.second_factor_locked_until is None or user.second_factor_locked_until <= utcnow():
        return None
    retry = max(int((user.second_factor_locked_until - utcnow()).total_seconds()), 1)
    return RateLimited(
        f"the second factor is locked after {MAX_FAILURES} wrong codes; try again in {retry} s", retry_after=retry
    )


def _prove_code(
    session: Session, ctx: Context, user: User, code: str, secret_key: str, static_code: str, at: float
) -> DomainError | None:
    """None when `code` proves the user (the TOTP step is then used up), else the refusal."""
    locked = _lock_refusal(user)
    if locked is not None:
        return locked
    if user.totp_secret_encrypted:
        step = matching_step(crypto.decrypt(secret_key, user.totp_secret_encrypted), code, at)
        if step is None:
            return _refuse(session, ctx, user, "wrong or expired")
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return _refuse(session, ctx, user, "already used; wait for the next code")
        user.totp_last_step = step
    elif not (static_code and code == static_code):
        return _refuse(session, ctx, user, "wrong or expired")
    user.second_factor_failures = 0
    session.flush()
    return None


def verify(
    session: Session, ctx: Context, code: str | None, secret_key: str, static_code: str, *, at: float | None = None
) -> Checked[Context]:
    """Check the acting user's second factor: their current TOTP code (each code once), or the
    static development code when one is allowed (`static_code` is empty in production) and the
    user has not enrolled TOTP. Failures are counted and audited; five lock it for 15 minutes."""
    if not code:
        return Checked(refused=Forbidden("this change needs a second factor: send the X-2FA-Code header"))
    user = _locked_user(session, ctx, ctx.user_id)
    refused = _prove_code(session, ctx, user, code, secret_key, static_code, time.time() if at is None else at)
    return Checked(refused=refused) if refused else Checked(ctx.with_second_factor())


def enroll(
    session: Session,
    ctx: Context,
    secret_key: str,
    *,
    code: str | None = None,
    password: str | None = None,
    at: float | None = None,
) -> Checked[TotpEnrollment]:
    """Create (or replace) the acting user's TOTP seed, stored encrypted. Replacing one needs its
    current code; a first enrolment needs the password. Audited either way."""
    user = _locked_user(session, ctx, ctx.user_id)
    if user.totp_secret_encrypted:
        if not code:
            return Checked(refused=Forbidden("replacing your authenticator needs its current code (X-2FA-Code)"))
        refused = _prove_code(session, ctx, user, code, secret_key, "", time.time() if at is None else at)
        if refused is not None:
            return Checked(refused=refused)
    else:
        locked = _lock_refusal(user)
        if locked is not None:
            return Checked(refused=locked)
        if not (password and verify_password(user.password_hash, password)):
            return Checked(refused=_refuse(session, ctx, user, "missing: enrolling needs your password"))
    secret = pyotp.random_base32()
    replaced = user.totp_secret_encrypted is not None
    user.totp_secret_encrypted = crypto.encrypt(secret_key, secret)
    user.totp_last_step = None
    user.second_factor_failures = 0
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=f"{ctx.client_id}:{user.username}", issuer_name="Easy Ecom")
    audit.record(
        session, ctx, audit.Action.SECOND_FACTOR_ENROLLED, target=("user", user.id), detail={"replaced": replaced}
    )
    return Checked(TotpEnrollment(secret, uri))


def reset(session: Session, ctx: Context, user_id: uuid.UUID) -> User:
    """An owner removes a staff member's authenticator and lock (they enrol again with their password)."""
    ctx.require(Role.OWNER, action="resetting a second factor")
    user = (
        scoped(session, ctx)
        .scalars(select(User).where(User.id == user_id, User.client_id == ctx.client_id).with_for_update())
        .first()
    )
    if user is None:
        raise NotFound(f"user {user_id} not found")
    if user.role is not Role.STAFF:
        raise Forbidden("only a staff member's second factor can be reset; owners re-enrol their own")
    had_totp = user.totp_secret_encrypted is not None
    user.totp_secret_encrypted = user.totp_last_step = user.second_factor_locked_until = None
    user.second_factor_failures = 0
    session.flush()
    audit.record(
        session,
        ctx,
        audit.Action.SECOND_FACTOR_RESET,
        target=("user", user.id),
        detail={"username": user.username, "had_totp": had_totp},
    )
    return user
