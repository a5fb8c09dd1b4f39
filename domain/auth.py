"""Users and how they prove who they are: password hashing (argon2), login with its audit and
lockout, TOTP second factors, and the check that an account is still active. Every channel (REST,
the console) logs in through here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyotp
import redis
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import audit
from domain.context import Context, scoped
from domain.errors import AuthenticationFailed, Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from domain.models import Channel, Client, PlatformAdmin, Role, User
from infra import crypto
from infra.redis_client import count_hits

log = structlog.get_logger(__name__)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check of `password` against an argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, ctx: Context, username: str, password: str, role: Role) -> User:
    """An owner adds an owner or staff user to their client."""
    ctx.require(Role.OWNER, action="adding a user")
    if role not in (Role.OWNER, Role.STAFF):
        raise ValidationFailed("users are owners or staff; customers come from the channels")
    return add_user(session, ctx.client_id, username, password, role, actor=ctx)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_user(
    session: Session, client_id: str, username: str, password: str, role: Role, actor: Context | None = None
) -> User:
    """Insert a user (used by `create_user`, client creation and the seed)."""
    _check_password(password)
    ctx = actor or Context(client_id=client_id, role=Role.OWNER, channel=Channel.SYSTEM)
    scoped(session, ctx)
    exists = session.scalar(select(User.id).where(User.client_id == client_id, User.username == username))
    if exists:
        raise Conflict(f"user {username!r} already exists")
    user = User(client_id=client_id, username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    audit.record(session, ctx, audit.Action.USER_CREATED, target=("user", user.id), detail={"role": role.value})
    return user


def list_users(session: Session, ctx: Context, *, limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """The business's users by username, and how many there are (owners only)."""
    ctx.require(Role.OWNER, action="listing users")
    query = select(User).where(User.client_id == ctx.client_id)
    total = scoped(session, ctx).scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(User.username).limit(limit).offset(offset))), total


def _user(session: Session, ctx: Context, user_id: uuid.UUID) -> User:
    user = (
        scoped(session, ctx)
        .scalars(select(User).where(User.id == user_id, User.client_id == ctx.client_id).with_for_update())
        .first()
    )
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def set_user_active(session: Session, ctx: Context, user_id: uuid.UUID, *, active: bool) -> User:
    """An owner deactivates or reactivates a user; a deactivated user's tokens stop working at once.

    Owners cannot deactivate themselves, so a business always keeps an active owner.
    """
    ctx.require(Role.OWNER, action="deactivating or reactivating users")
    user = _user(session, ctx, user_id)
    if not active and user.id == ctx.user_id:
        raise ValidationFailed("you cannot deactivate yourself; another owner can")
    if user.is_active != active:
        user.is_active = active
        session.flush()
        action = audit.Action.USER_REACTIVATED if active else audit.Action.USER_DEACTIVATED
        audit.record(session, ctx, action, target=("user", user.id), detail={"username": user.username})
    return user


def reset_password(session: Session, ctx: Context, user_id: uuid.UUID, new_password: str) -> User:
    """An owner sets a new password for a staff member (owners change their own)."""
    ctx.require(Role.OWNER, action="resetting a password")
    user = _user(session, ctx, user_id)
    if user.role is not Role.STAFF:
        raise Forbidden("owners change their own password (POST /users/me/password); only staff passwords are reset")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    session.flush()
    audit.record(
        session, ctx, audit.Action.PASSWORD_RESET, target=("user", user.id), detail={"username": user.username}
    )
    return user


def change_own_password(session: Session, ctx: Context, current_password: str, new_password: str) -> User:
    """Any user changes their own password; the current one is required."""
    if ctx.user_id is None:
        raise Forbidden("only owners and staff have passwords here")
    user = _user(session, ctx, ctx.user_id)
    if not verify_password(user.password_hash, current_password):
        raise Forbidden("the current password is wrong")
    _check_password(new_password)
    if new_password == current_password:
        raise ValidationFailed("the new password is the same as the current one")
    user.password_hash = hash_password(new_password)
    session.flush()
    audit.record(session, ctx, audit.Action.PASSWORD_CHANGED, target=("user", user.id))
    return user


def authenticate(session: Session, client_id: str, username: str, password: str, channel: Channel) -> User:
    """Check a client user's credentials; every attempt is audited. Wrong user and wrong
    password take the same time and give the same error."""
    if session.get(Client, client_id) is None:
        verify_password(_DUMMY_HASH, password)
        raise AuthenticationFailed("wrong client, username or password")
    ctx = Context(client_id=client_id, role=Role.STAFF, channel=channel, actor_name=username)
    scoped(session, ctx)
    user = session.scalars(select(User).where(User.client_id == client_id, User.username == username)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and ok and user.is_active):
        audit.record(session, ctx, audit.Action.LOGIN_FAILED, detail={"username": username})
        raise AuthenticationFailed("wrong client, username or password")
    audit.record(session, Context(client_id, user.role, channel, user.id, actor_name=username), audit.Action.LOGIN)
    return user


def authenticate_platform_admin(session: Session, username: str, password: str) -> PlatformAdmin:
    """Check a superadmin's credentials (same timing either way)."""
    admin = session.scalars(select(PlatformAdmin).where(PlatformAdmin.username == username)).first()
    ok = verify_password(admin.password_hash if admin else _DUMMY_HASH, password)
    if not (admin and ok):
        raise AuthenticationFailed("wrong username or password")
    return admin


def ensure_platform_admin(session: Session, username: str, password: str) -> PlatformAdmin:
    """Create the superadmin if missing (idempotent)."""
    admin = session.scalars(select(PlatformAdmin).where(PlatformAdmin.username == username)).first()
    if admin is None:
        admin = PlatformAdmin(username=username, password_hash=hash_password(password))
        session.add(admin)
        session.flush()
    return admin


class LoginLockout:
    """Locks a username (per client) after repeated failures, for a cool-down (not while Redis is down)."""

    def __init__(self, client: redis.Redis, max_failures: int = 5, window_s: int = 15 * 60) -> None:
        self.client, self.max_failures, self.window_s = client, max_failures, window_s

    @staticmethod
    def _key(client_id: str | None, username: str) -> str:
        return f"lockout:{client_id or '-'}:{username.lower()}"

    def check(self, client_id: str | None, username: str) -> None:
        """Raise RateLimited while the account is locked."""
        key = self._key(client_id, username)
        try:
            failures = int(self.client.get(key) or 0)
            retry = max(int(self.client.ttl(key)), 1) if failures >= self.max_failures else 0
        except redis.RedisError as exc:
            log.warning("login lockout not enforced: Redis unavailable", error=str(exc))
            return
        if failures >= self.max_failures:
            raise RateLimited(f"too many failed logins for {username!r}; try again in {retry} s", retry_after=retry)

    def failed(self, client_id: str | None, username: str) -> None:
        """Count a failure."""
        try:
            count_hits(self.client, [self._key(client_id, username)], self.window_s)
        except redis.RedisError as exc:
            log.warning("login lockout not counted: Redis unavailable", error=str(exc))

    def succeeded(self, client_id: str | None, username: str) -> None:
        """Forget earlier failures."""
        try:
            self.client.delete(self._key(client_id, username))
        except redis.RedisError as exc:
            log.warning("login lockout not reset: Redis unavailable", error=str(exc))


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: the account, or the refusal to raise once the audit is committed."""

    account: User | PlatformAdmin | None
    refused: AuthenticationFailed | None = None

    def accepted(self) -> User | PlatformAdmin:
        """The account; raises the refusal (call it after committing the attempt's audit event)."""
        if self.refused is not None or self.account is None:
            raise self.refused or AuthenticationFailed("wrong client, username or password")
        return self.account


def login(
    session: Session, lockout: LoginLockout, client_id: str | None, username: str, password: str, channel: Channel
) -> LoginAttempt:
    """Check credentials (a superadmin has no client), counting failures against the lockout.
    A failure is audited and returned, not raised, so the caller can commit the audit first."""
    lockout.check(client_id, username)
    try:
        if client_id is None:
            account: User | PlatformAdmin = authenticate_platform_admin(session, username, password)
        else:
            account = authenticate(session, client_id, username, password, channel)
    except AuthenticationFailed as refused:
        lockout.failed(client_id, username)
        return LoginAttempt(None, refused)
    lockout.succeeded(client_id, username)
    return LoginAttempt(account)


def require_active(session: Session, ctx: Context) -> None:
    """Raise AuthenticationFailed unless the acting user still exists, is active and has that role
    (a token outlives neither a deletion nor a deactivation)."""
    active = scoped(session, ctx).scalar(
        select(User.is_active).where(User.id == ctx.user_id, User.client_id == ctx.client_id, User.role == ctx.role)
    )
    if not active:
        raise AuthenticationFailed("this account no longer exists or is disabled")


def _totp_matches(secret: str, code: str) -> bool:
    """Whether `code` is the current TOTP (±1 step for clock drift)."""
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


@dataclass(frozen=True)
class TotpEnrollment:
    """A new authenticator seed and the otpauth:// URI to scan."""

    secret: str
    uri: str


def enroll_second_factor(session: Session, ctx: Context, secret_key: str) -> TotpEnrollment:
    """Create (or replace) the acting user's TOTP seed, stored encrypted."""
    user = scoped(session, ctx).get(User, ctx.user_id)
    if user is None:
        raise AuthenticationFailed("this account no longer exists or is disabled")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = crypto.encrypt(secret_key, secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=f"{ctx.client_id}:{user.username}", issuer_name="Easy Ecom")
    audit.record(session, ctx, audit.Action.SECOND_FACTOR_ENROLLED, target=("user", user.id))
    return TotpEnrollment(secret, uri)


def verify_second_factor(
    session: Session, ctx: Context, code: str | None, secret_key: str, static_code: str
) -> Context:
    """The context with a verified second factor: `code` is the user's current TOTP, or the static
    development code when one is allowed (`static_code` is empty in production)."""
    if not code:
        raise Forbidden("this change needs a second factor: send the X-2FA-Code header")
    user = scoped(session, ctx).get(User, ctx.user_id)
    if user is None:
        raise AuthenticationFailed("this account no longer exists or is disabled")
    if user.totp_secret_encrypted and _totp_matches(crypto.decrypt(secret_key, user.totp_secret_encrypted), code):
        return ctx.with_second_factor()
    if static_code and code == static_code:
        return ctx.with_second_factor()
    raise Forbidden("the X-2FA-Code is wrong or expired")
