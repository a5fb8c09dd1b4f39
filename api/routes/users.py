"""/users: owners manage their business's users; everyone changes their own password."""

from __future__ import annotations

import uuid

from fastapi import Response

from api.auth import CurrentCaller, OwnerCaller
from api.deps import SettingsDep
from api.problems import PROBLEM_RESPONSES, problem_response
from api.routing import ApiRouter
from api.schemas.auth import (
    PasswordChange,
    PasswordReset,
    UserCreate,
    UserRead,
    WhatsAppCode,
    WhatsAppNumberRead,
    WhatsAppNumberSet,
)
from api.schemas.common import Page, PageQuery
from domain import auth as auth_service
from domain import personal_numbers, second_factor
from infra import queue

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


@router.get("/me/whatsapp")
def get_own_whatsapp(caller: CurrentCaller) -> WhatsAppNumberRead:
    """Your personal WhatsApp number (owners get approval requests on it once it is proved)."""
    with caller.transaction() as (session, ctx):
        return WhatsAppNumberRead.model_validate(personal_numbers.my_number(session, ctx))


@router.put(
    "/me/whatsapp",
    status_code=202,
    responses={
        409: problem_response("Another user of the business has proved this number"),
        422: problem_response("Not a phone number, or it has not written to the business in the last 24 hours"),
        429: PROBLEM_RESPONSES[429] | {"description": "A code was sent less than a minute ago"},
    },
)
def set_own_whatsapp(body: WhatsAppNumberSet, caller: CurrentCaller, settings: SettingsDep) -> WhatsAppNumberRead:
    """Send a one-time code to this number over WhatsApp (valid 10 minutes, 5 tries); prove it
    with POST /users/me/whatsapp/verify. Send any message from it to the business's number
    first: WhatsApp delivers the code only inside that number's 24-hour window."""
    with caller.transaction() as (session, ctx):
        sent = personal_numbers.request_code(session, ctx, body.number, settings.secret_key())
    queue.enqueue_rows(caller.runtime.redis, queue.WHATSAPP_OUTBOX, [(sent.outbound.client_id, sent.outbound.id)])
    return WhatsAppNumberRead.model_validate(sent.status)


@router.post(
    "/me/whatsapp/verify",
    responses={403: problem_response("Wrong code (counted; 5 make it void)"), 422: problem_response("No code waiting")},
)
def verify_own_whatsapp(body: WhatsAppCode, caller: CurrentCaller, settings: SettingsDep) -> WhatsAppNumberRead:
    """Prove the number with the code it received; it becomes your WhatsApp number. Every attempt is audited."""
    with caller.transaction() as (session, ctx):  # committed with a wrong attempt's count and audit event too
        checked = personal_numbers.confirm_code(session, ctx, body.code, settings.secret_key())
    return WhatsAppNumberRead.model_validate(checked.accepted())


@router.delete("/me/whatsapp")
def remove_own_whatsapp(caller: CurrentCaller) -> WhatsAppNumberRead:
    """Forget your WhatsApp number (no more approval requests on it)."""
    with caller.transaction() as (session, ctx):
        return WhatsAppNumberRead.model_validate(personal_numbers.remove_number(session, ctx))


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
