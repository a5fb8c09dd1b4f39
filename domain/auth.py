"""Users and how they prove who they are: password hashing (argon2), login with its audit and
lockout, and the check that an account is still active. Every channel (REST, the console) logs
in through here; TOTP second factors are in `domain.second_factor`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

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
from infra.db import actor_is_active
from infra.local_counters import LocalCounters
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


@dataclass(frozen=True)
class LockoutLimits:
    """Failed logins allowed per (username, source IP) and per username alone in one window."""

    per_source: int
    per_username: int


class LoginLockout:
    """Locks a username (per client) from one source IP after `limits.per_source` failures, and
    from everywhere after `limits.per_username`, for the rest of a 15-minute window. So nobody can
    lock the owner out with five wrong passwords from their own address. A login without an IP
    (the console) counts and is checked against the per-username count only.

    Counted in Redis; while Redis is down, in this process (`local`) with the stricter
    `fallback` limits, so password guessing stays bounded (see docs/security.md).
    """

    DEFAULT = LockoutLimits(per_source=5, per_username=50)
    FALLBACK = LockoutLimits(per_source=5, per_username=10)

    def __init__(
        self,
        client: redis.Redis,
        local: LocalCounters,
        *,
        limits: LockoutLimits = DEFAULT,
        fallback: LockoutLimits = FALLBACK,
        window_s: int = 15 * 60,
    ) -> None:
        self.client, self.local, self.limits, self.fallback, self.window_s = client, local, limits, fallback, window_s

    @staticmethod
    def _username_key(client_id: str | None, username: str) -> str:
        return f"lockout:{client_id or '-'}:{username.lower()}"

    def _keys(self, client_id: str | None, username: str, ip: str | None) -> list[tuple[str, str]]:
        """(key, which limit) for the counters a login from `ip` touches."""
        key = self._username_key(client_id, username)
        return [(key, "per_username")] + ([(f"{key}|ip:{ip}", "per_source")] if ip else [])

    def _counts(self, keys: list[str]) -> tuple[list[tuple[int, int]], LockoutLimits]:
        try:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
            counts = [(int(replies[i] or 0), int(replies[i + 1])) for i in range(0, len(replies), 2)]
            return counts, self.limits
        except redis.RedisError as exc:
            log.warning("login lockout counted in this process: Redis unavailable", error=str(exc))
            return [self.local.get(key) for key in keys], self.fallback

    def check(self, client_id: str | None, username: str, ip: str | None) -> None:
        """Raise RateLimited while the username is locked for this source (or everywhere)."""
        keys = self._keys(client_id, username, ip)
        counts, limits = self._counts([key for key, _ in keys])
        for (_, which), (failures, ttl) in zip(keys, counts, strict=True):
            if failures >= getattr(limits, which):
                retry = max(ttl, 1)
                where = "" if which == "per_username" else " from this address"
                raise RateLimited(
                    f"too many failed logins for {username!r}{where}; try again in {retry} s", retry_after=retry
                )

    def failed(self, client_id: str | None, username: str, ip: str | None) -> None:
        """Count a failure on every counter the login touches."""
        keys = [key for key, _ in self._keys(client_id, username, ip)]
        try:
            count_hits(self.client, keys, self.window_s)
        except redis.RedisError as exc:
            log.warning("login lockout counted in this process: Redis unavailable", error=str(exc))
            for key in keys:
                self.local.hit(key, self.window_s)

    def succeeded(self, client_id: str | None, username: str, ip: str | None) -> None:
        """Forget this source's failures (the per-username count stays: it tracks distributed guessing)."""
        if ip is None:
            return
        [_, (key, _)] = self._keys(client_id, username, ip)
        self.local.delete(key)
        try:
            self.client.delete(key)
        except redis.RedisError as exc:
            log.warning("login lockout not reset: Redis unavailable", error=str(exc))

    def unlock(self, client_id: str | None, username: str) -> None:
        """Forget every failure of `username` (all sources), in Redis and in this process."""
        key = self._username_key(client_id, username)
        self.local.delete(key, prefix=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", key) + "|ip:*"
        try:
            self.client.delete(key, *self.client.scan_iter(match=pattern, count=500))
        except redis.RedisError as exc:
            log.warning("login lockout not cleared in Redis: Redis unavailable", error=str(exc))


def unlock_user(session: Session, ctx: Context, lockout: LoginLockout, user_id: uuid.UUID) -> User:
    """An owner clears a user's login lockout (audited)."""
    ctx.require(Role.OWNER, action="unlocking a user")
    user = _user(session, ctx, user_id)
    lockout.unlock(ctx.client_id, user.username)
    audit.record(session, ctx, audit.Action.USER_UNLOCKED, target=("user", user.id), detail={"username": user.username})
    return user


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
    session: Session,
    lockout: LoginLockout,
    client_id: str | None,
    username: str,
    password: str,
    channel: Channel,
    ip: str | None,
) -> LoginAttempt:
    """Check credentials (a superadmin has no client), counting failures against the lockout for
    this source `ip` (None when the channel does not know it). A failure is audited and returned,
    not raised, so the caller can commit the audit first."""
    lockout.check(client_id, username, ip)
    try:
        if client_id is None:
            account: User | PlatformAdmin = authenticate_platform_admin(session, username, password)
        else:
            account = authenticate(session, client_id, username, password, channel)
    except AuthenticationFailed as refused:
        lockout.failed(client_id, username, ip)
        return LoginAttempt(None, refused)
    lockout.succeeded(client_id, username, ip)
    return LoginAttempt(account)


def require_active(session: Session, ctx: Context) -> None:
    """Raise AuthenticationFailed unless the acting user still exists, is active and has that role
    in this shop (a token outlives neither a deletion nor a deactivation). The lookup is the
    database's `app_scope()`, answered by the statement that scoped a unit of work opened for
    this actor (`infra.db.transaction(actor=...)`), so it costs no round trip of its own there."""
    if not actor_is_active(scoped(session, ctx), ctx.user_id, ctx.role.value):
        raise AuthenticationFailed("this account no longer exists or is disabled")
