"""Personal WhatsApp numbers: an owner's or staff member's own number, proved by a one-time code
sent to it through the outbox; owners with a proved number hear of every approval request there,
with Approve / Reject reply buttons, and a tapped button decides the request only when it comes
from a proved number of an owner of the same shop (anyone else is refused and audited).

Codes: 6 digits, valid CODE_TTL, MAX_CODE_ATTEMPTS tries, one sent at most every RESEND_AFTER;
kept only as an HMAC-SHA256 keyed by the app's secret and bound to the user and the number.
A code can only be sent while the number's 24-hour window is open (it wrote to the shop's
number lately): a free-form message is the only one Meta delivers without a template.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import audit, messaging, phones, tenancy
from domain.context import Context, scoped
from domain.errors import Conflict, Forbidden, RateLimited, ValidationFailed
from domain.models import Approval, ApprovalStatus, Channel, OutboundMessage, Role, User
from domain.models.base import utcnow
from domain.second_factor import Checked

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
CODE_MESSAGE = (
    "{code} is your Easy Ecom code to link this number to {username}@{client}. It expires in {minutes} minutes."
)
APPROVE, REJECT = "approve", "reject"
_CHOICE = re.compile(r"^approval:([0-9a-f-]{36}):(approve|reject)$")


@dataclass(frozen=True)
class NumberStatus:
    """A user's personal number: the proved one, and the one waiting for its code."""

    number: str | None
    verified_at: datetime | None
    pending_number: str | None
    code_expires_at: datetime | None
    attempts_left: int


def status(user: User) -> NumberStatus:
    """What the user sees of their number (never the code)."""
    pending = user.whatsapp_pending_wa_id
    return NumberStatus(
        f"+{user.whatsapp_wa_id}" if user.whatsapp_wa_id else None,
        user.whatsapp_verified_at,
        f"+{pending}" if pending else None,
        user.whatsapp_code_expires_at if pending else None,
        MAX_CODE_ATTEMPTS - user.whatsapp_code_attempts if pending else 0,
    )


def code_hash(secret_key: str, user_id: uuid.UUID, wa_id: str, code: str) -> str:
    """The one-time code as stored: keyed by the app's secret, bound to the user and the number."""
    message = f"{user_id}:{wa_id}:{code.strip()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _me(session: Session, ctx: Context) -> User:
    ctx.require_staff(action="setting a personal WhatsApp number")
    query = select(User).where(User.id == ctx.user_id, User.client_id == ctx.client_id, User.is_active)
    user = scoped(session, ctx).scalars(query.with_for_update()).first()
    if user is None:
        raise Forbidden("this account no longer exists or is disabled")
    return user


def my_number(session: Session, ctx: Context) -> NumberStatus:
    """The acting user's personal number."""
    return status(_me(session, ctx))


@dataclass(frozen=True)
class CodeSent:
    """A code is on its way: the outbound message carrying it (to wake the worker) and the status."""

    outbound: OutboundMessage
    status: NumberStatus


def request_code(session: Session, ctx: Context, raw_number: str, secret_key: str) -> CodeSent:
    """Start proving `raw_number` is the acting user's: a new code is written to the outbox for it
    (free text: the number must have written to the shop in the last 24 hours). Refused for a
    number another user of the shop has proved, and more often than once every RESEND_AFTER."""
    user = _me(session, ctx)
    client = tenancy.get_client(session, ctx.client_id)
    wa_id = phones.to_e164(raw_number, client.country_calling_code).removeprefix("+")
    now = utcnow()
    if user.whatsapp_code_sent_at is not None and now - user.whatsapp_code_sent_at < RESEND_AFTER:
        wait = int((user.whatsapp_code_sent_at + RESEND_AFTER - now).total_seconds()) + 1
        raise RateLimited(f"a code was sent less than a minute ago; ask again in {wait} s", retry_after=wait)
    taken = session.scalars(
        select(User.id).where(User.client_id == ctx.client_id, User.whatsapp_wa_id == wa_id, User.id != user.id)
    ).first()
    if taken is not None:
        raise Conflict(f"+{wa_id} is already the WhatsApp number of another user of this business")
    number = messaging.business_number(session, ctx.client_id, wa_id)
    if number is None or not messaging.window_open(messaging.last_inbound_from(session, ctx.client_id, wa_id), now):
        raise ValidationFailed(
            f"first send any WhatsApp message from +{wa_id} to the business's number, then ask for the code "
            "again: WhatsApp only delivers a free-form message to a number that wrote in the last 24 hours"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    user.whatsapp_pending_wa_id, user.whatsapp_code_hash = wa_id, code_hash(secret_key, user.id, wa_id, code)
    user.whatsapp_code_expires_at, user.whatsapp_code_sent_at = now + CODE_TTL, now
    user.whatsapp_code_attempts = 0
    body = CODE_MESSAGE.format(
        code=code, username=user.username, client=ctx.client_id, minutes=int(CODE_TTL.total_seconds() // 60)
    )
    outbound = messaging.queue_outbound(
        session,
        ctx.client_id,
        f"{messaging.CODE_KEY}{user.id}:{now.timestamp():.6f}",
        None,
        messaging.text_payload(wa_id, body),
        phone_number_id=number,
        user_id=user.id,
    )
    audit.record(session, ctx, audit.Action.WHATSAPP_CODE_SENT, target=("user", user.id), detail={"number": wa_id})
    return CodeSent(outbound, status(user))


def confirm_code(session: Session, ctx: Context, code: str, secret_key: str) -> Checked[NumberStatus]:
    """Prove the pending number with its code: it becomes the user's number. A wrong code is
    counted and audited (the caller commits before refusing); after MAX_CODE_ATTEMPTS wrong codes,
    or once expired, the code is void and a new one must be asked for."""
    user = _me(session, ctx)
    wa_id = user.whatsapp_pending_wa_id
    if wa_id is None or user.whatsapp_code_hash is None or user.whatsapp_code_expires_at is None:
        return Checked(refused=ValidationFailed("no code is waiting: set your number first (PUT /users/me/whatsapp)"))
    if user.whatsapp_code_expires_at <= utcnow():
        _void(user)
        return Checked(refused=ValidationFailed("the code has expired; ask for a new one"))
    expected = code_hash(secret_key, user.id, wa_id, code)
    if not hmac.compare_digest(expected, user.whatsapp_code_hash):
        user.whatsapp_code_attempts += 1
        left = MAX_CODE_ATTEMPTS - user.whatsapp_code_attempts
        if left <= 0:
            _void(user)
        detail: dict[str, object] = {"number": wa_id, "attempts_left": max(left, 0)}
        audit.record(session, ctx, audit.Action.WHATSAPP_CODE_FAILED, target=("user", user.id), detail=detail)
        if left <= 0:
            return Checked(refused=Forbidden(f"{MAX_CODE_ATTEMPTS} wrong codes: this code is void; ask for a new one"))
        return Checked(refused=Forbidden(f"wrong code; {left} attempts left"))
    taken = session.scalars(
        select(User.id).where(User.client_id == ctx.client_id, User.whatsapp_wa_id == wa_id, User.id != user.id)
    ).first()
    if taken is not None:
        _void(user)
        return Checked(refused=Conflict(f"+{wa_id} became another user's number meanwhile"))
    user.whatsapp_wa_id, user.whatsapp_verified_at = wa_id, utcnow()
    _void(user)
    session.flush()
    audit.record(
        session, ctx, audit.Action.WHATSAPP_NUMBER_VERIFIED, target=("user", user.id), detail={"number": wa_id}
    )
    return Checked(status(user))


def _void(user: User) -> None:
    user.whatsapp_pending_wa_id = user.whatsapp_code_hash = user.whatsapp_code_expires_at = None
    user.whatsapp_code_attempts = 0


def remove_number(session: Session, ctx: Context) -> NumberStatus:
    """Forget the acting user's number (and any code waiting); audited."""
    user = _me(session, ctx)
    removed = user.whatsapp_wa_id
    user.whatsapp_wa_id = user.whatsapp_verified_at = None
    _void(user)
    session.flush()
    audit.record(
        session, ctx, audit.Action.WHATSAPP_NUMBER_REMOVED, target=("user", user.id), detail={"number": removed}
    )
    return status(user)


# --- approvals on the owner's phone ---


def approval_buttons(approval: Approval) -> list[tuple[str, str]]:
    """The reply buttons an owner taps to decide `approval`."""
    return [(f"approval:{approval.id}:{APPROVE}", "Approve"), (f"approval:{approval.id}:{REJECT}", "Reject")]


def approval_choice(kind: str, payload: dict[str, Any]) -> tuple[uuid.UUID, bool] | None:
    """The approval a tapped reply button decides, and whether it approves; None for anything
    else (typed words never decide: only the button's id, which the customer does not see)."""
    if kind != "interactive":
        return None
    interactive = payload.get("interactive") or {}
    if interactive.get("type") != "button_reply":
        return None
    match = _CHOICE.match(str((interactive.get("button_reply") or {}).get("id") or ""))
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1)), match.group(2) == APPROVE
    except ValueError:
        return None


def notify_owners(session: Session, ctx: Context, approval: Approval) -> list[OutboundMessage]:
    """Write the request to every active owner of the shop with a proved number, in the same
    transaction as the request: reply buttons inside their 24-hour window, the client's chosen
    template outside it (nothing when none is chosen). Once per approval and owner."""
    owners = scoped(session, ctx).scalars(
        select(User).where(
            User.client_id == ctx.client_id, User.role == Role.OWNER, User.is_active, User.whatsapp_wa_id.is_not(None)
        )
    )
    who = ctx.actor_name or ctx.role.value
    body = f"Approval needed: {approval.summary}\nAsked by {who} ({ctx.channel.value})."
    written = []
    for owner in owners:
        wa_id = owner.whatsapp_wa_id or ""
        number = messaging.business_number(session, ctx.client_id, wa_id)
        if number is None:
            continue
        buttons = messaging.buttons_payload(wa_id, body, approval_buttons(approval))
        last = messaging.last_inbound_from(session, ctx.client_id, wa_id)
        try:
            payload = messaging.fit_window_to(session, ctx.client_id, wa_id, owner.username, last, buttons)
        except ValidationFailed:
            continue
        key = f"owner:{approval.id}:{owner.id}"
        written.append(
            messaging.queue_outbound(
                session, ctx.client_id, key, None, payload, phone_number_id=number, user_id=owner.id
            )
        )
    return written


def decider(session: Session, client_id: str, wa_id: str, approval_id: uuid.UUID) -> Checked[Context]:
    """Who decides by tapping a button from `wa_id`: an active owner of this shop whose proved
    number it is, acting on the WhatsApp channel. Anyone else (a customer, staff, another shop's
    owner) is refused, and the attempt is audited (the caller commits before refusing)."""
    stranger = Context(client_id, Role.CUSTOMER, Channel.WHATSAPP, actor_name=f"+{wa_id}")
    query = select(User).where(User.client_id == client_id, User.whatsapp_wa_id == wa_id, User.is_active)
    user = scoped(session, stranger).scalars(query).first()
    if user is not None and user.role is Role.OWNER:
        return Checked(Context(client_id, Role.OWNER, Channel.WHATSAPP, user_id=user.id, actor_name=user.username))
    detail: dict[str, object] = {"number": wa_id, "role": user.role.value if user else "customer"}
    audit.record(session, stranger, audit.Action.APPROVAL_REFUSED, target=("approval", approval_id), detail=detail)
    return Checked(refused=Forbidden("only the shop's owners decide requests, from the WhatsApp number they proved"))


def decided_text(approval: Approval) -> str:
    """What the owner reads after deciding from their phone."""
    if approval.status is ApprovalStatus.FAILED:
        detail = (approval.result or {}).get("detail", "it was refused")
        return f"Approved, but it could not be done: {detail}"
    return f"{approval.status.value.capitalize()}: {approval.summary}"
