"""Users, password hashing (argon2) and authentication."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import audit
from domain.context import Context, scoped
from domain.errors import AuthenticationFailed, Conflict, Forbidden, NotFound, ValidationFailed
from domain.models import Channel, Client, PlatformAdmin, Role, User

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
