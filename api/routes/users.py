"""/users: owners manage their business's users; everyone changes their own password."""

from __future__ import annotations

import uuid

from fastapi import Response

from api.auth import CurrentCaller, OwnerCaller
from api.routing import ApiRouter
from api.schemas.auth import PasswordChange, PasswordReset, UserCreate, UserRead
from api.schemas.common import Page, PageQuery
from domain import auth as auth_service
from domain import second_factor

router = ApiRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(caller: OwnerCaller, page: PageQuery) -> Page[UserRead]:
    """Your business's users by username, active or not (owners only)."""
    with caller.transaction() as (session, ctx):
        users, total = auth_service.list_users(session, ctx, limit=page.limit, offset=page.offset)
        return Page(
            items=[UserRead.model_validate(u) for u in users], total=total, limit=page.limit, offset=page.offset
        )


@router.post("", status_code=201)
def create_user(body: UserCreate, caller: OwnerCaller) -> UserRead:
    """Add a staff member or another owner (409 if the username is taken)."""
    with caller.transaction() as (session, ctx):
        return UserRead.model_validate(auth_service.create_user(session, ctx, body.username, body.password, body.role))


@router.post("/me/password", status_code=204)
def change_own_password(body: PasswordChange, caller: CurrentCaller) -> Response:
    """Change your own password; the current one is required (403 if wrong)."""
    with caller.transaction() as (session, ctx):
        auth_service.change_own_password(session, ctx, body.current_password, body.new_password)
        return Response(status_code=204)


@router.post("/{user_id}/deactivate")
def deactivate_user(user_id: uuid.UUID, caller: OwnerCaller) -> UserRead:
    """Disable a user: their tokens stop working at once and they cannot log in (not yourself)."""
    with caller.transaction() as (session, ctx):
        return UserRead.model_validate(auth_service.set_user_active(session, ctx, user_id, active=False))


@router.post("/{user_id}/reactivate")
def reactivate_user(user_id: uuid.UUID, caller: OwnerCaller) -> UserRead:
    """Enable a deactivated user again."""
    with caller.transaction() as (session, ctx):
        return UserRead.model_validate(auth_service.set_user_active(session, ctx, user_id, active=True))


@router.post("/{user_id}/password", status_code=204)
def reset_password(user_id: uuid.UUID, body: PasswordReset, caller: OwnerCaller) -> Response:
    """Set a new password for a staff member who forgot theirs."""
    with caller.transaction() as (session, ctx):
        auth_service.reset_password(session, ctx, user_id, body.new_password)
        return Response(status_code=204)


@router.post("/{user_id}/unlock")
def unlock_user(user_id: uuid.UUID, caller: OwnerCaller) -> UserRead:
    """Clear a user's login lockout (every source address); audited."""
    with caller.transaction() as (session, ctx):
        return UserRead.model_validate(auth_service.unlock_user(session, ctx, caller.runtime.lockout, user_id))


@router.delete("/{user_id}/2fa", status_code=204)
def reset_second_factor(user_id: uuid.UUID, caller: OwnerCaller) -> Response:
    """Remove a staff member's authenticator and its lock (they enrol again with their password)."""
    with caller.transaction() as (session, ctx):
        second_factor.reset(session, ctx, user_id)
        return Response(status_code=204)
