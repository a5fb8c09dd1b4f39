"""WhatsApp messaging rules: reading Meta's webhook deliveries, the durable inbox and its states
(claim with a lease, done, dead after MAX_ATTEMPTS, retry), the outbound log written before the
Graph API call, delivery statuses, the 24-hour customer-service window, STOP/START, human
handoff, off-hours notes, templates, interactive choices and the message log.

The exactly-once protocol these pieces make is described in docs/whatsapp.md.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, extract, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain import orders, tenancy
from domain.context import Context, scoped
from domain.errors import DomainError, NotFound, ValidationFailed
from domain.models import (
    Channel,
    Client,
    Customer,
    DeliveryStatus,
    InboxMessage,
    InboxState,
    MessageTemplate,
    Order,
    OutboundMessage,
    OutboundState,
    Role,
    User,
    Variant,
)
from domain.models.base import utcnow

MAX_ATTEMPTS = 5
"""Tries of one inbound message (or one outbound send) before it goes to the dead-letter state."""
LEASE_S = 120
"""How long a worker holds an inbound message it claimed (longer than a slow turn)."""
WINDOW = timedelta(hours=24)
"""Free-form messages may reach a customer within this long of their last message; templates after."""
OFF_HOURS_NOTE_EVERY = timedelta(hours=12)
MAX_BUTTONS, MAX_LIST_ROWS = 3, 10
STOP_WORDS = frozenset({"stop", "unsubscribe", "stop all"})
START_WORDS = frozenset({"start", "subscribe"})
STOPPED_REPLY = (
    "You will get no more messages from us, except answers when you write to us. Reply START to hear from us again."
)
STARTED_REPLY = "Welcome back! You will hear from us about your orders again. Reply STOP at any time to opt out."
UNSUPPORTED_REPLY = (
    "Sorry, I cannot read {what} messages yet. You can write to me, send a photo of a product you are "
    "looking for, tap a button, or order from our catalog."
)
TEXT_KINDS = frozenset({"text", "interactive", "button"})
CODE_KEY, CODE_REDACTED = "code:", "[one-time code]"
"""Outbound rows under keys starting with CODE_KEY carry a one-time code: never shown in the log,
and dropped from the row once sent or dead."""


# --- reading deliveries (pure) ---


@dataclass(frozen=True)
class Inbound:
    """One customer message from a delivery."""

    phone_number_id: str
    wamid: str
    wa_id: str
    wa_user_id: str | None
    contact_name: str
    kind: str
    payload: dict[str, Any]
    sent_at: datetime | None


@dataclass(frozen=True)
class StatusUpdate:
    """Meta's news about one message we sent."""

    phone_number_id: str
    wamid: str
    status: DeliveryStatus
    at: datetime
    error: str = ""


@dataclass(frozen=True)
class Delivery:
    """Everything one webhook POST carried (it may hold several entries and changes)."""

    messages: list[Inbound] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


def _timestamp(raw: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _contacts(value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("wa_id") or c.get("user_id")): c for c in value.get("contacts") or [] if isinstance(c, dict)}


def without_nul(value: Any) -> Any:
    """`value` with NUL characters dropped from every string (PostgreSQL text and JSONB refuse them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def _id(value: object, column: str, what: str) -> str:
    """An id of a delivery as text, refused when longer than its inbox column (no id of Meta's is)."""
    text = str(value or "")
    limit = InboxMessage.__table__.c[column].type.length
    if len(text) > limit:
        raise ValidationFailed(f"{what} is longer than {limit} characters: not a WhatsApp id")
    return text


def parse_delivery(body: object) -> Delivery:
    """The messages and statuses of a webhook body (Meta's `whatsapp_business_account` shape);
    fields of other kinds are ignored, a body of another shape is refused."""
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise ValidationFailed("not a WhatsApp webhook delivery: expected an object with an `entry` list")
    body = without_nul(body)
    delivery = Delivery()
    for entry in body["entry"]:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            number = _id((value.get("metadata") or {}).get("phone_number_id"), "phone_number_id", "phone_number_id")
            if not number:
                raise ValidationFailed("a change has no metadata.phone_number_id")
            contacts = _contacts(value)
            for message in value.get("messages") or []:
                sender = str(message.get("from") or message.get("from_user_id") or "")
                contact = contacts.get(sender, {})
                if not message.get("id") or not sender:
                    raise ValidationFailed("a message has no id or sender")
                user_id = contact.get("user_id") or message.get("from_user_id")
                delivery.messages.append(
                    Inbound(
                        number,
                        _id(message["id"], "wamid", "a message id"),
                        _id(message.get("from") or contact.get("wa_id") or sender, "wa_id", "a sender"),
                        _id(user_id, "wa_user_id", "a sender's user id") if user_id else None,
                        str((contact.get("profile") or {}).get("name") or "")[:200],
                        str(message.get("type") or "unknown")[:24],
                        message,
                        _timestamp(message.get("timestamp")),
                    )
                )
            for status in value.get("statuses") or []:
                try:
                    kind = DeliveryStatus(status.get("status"))
                except ValueError:
                    continue
                errors = status.get("errors") or []
                error = "; ".join(f"{e.get('code')}: {e.get('title') or e.get('message')}" for e in errors)
                at = _timestamp(status.get("timestamp")) or utcnow()
                delivery.statuses.append(StatusUpdate(number, str(status.get("id")), kind, at, error))
    return delivery


def message_text(kind: str, payload: dict[str, Any]) -> str | None:
    """What the customer said, for the kinds the agent reads as words (text, a tapped reply button
    or list row, a template's quick reply); None for the others."""
    if kind == "text":
        return str((payload.get("text") or {}).get("body") or "").strip() or None
    if kind == "interactive":
        interactive = payload.get("interactive") or {}
        chosen = interactive.get(interactive.get("type", "")) or {}
        return str(chosen.get("title") or chosen.get("id") or "").strip() or None
    if kind == "button":
        return str((payload.get("button") or {}).get("text") or "").strip() or None
    return None


@dataclass(frozen=True)
class OrderItem:
    """One line of a catalog order: our variant SKU is Meta's product_retailer_id."""

    sku: str
    quantity: int


def order_items(payload: dict[str, Any]) -> list[OrderItem]:
    """The lines of an `order` message (refused when empty or malformed)."""
    items = (payload.get("order") or {}).get("product_items") or []
    try:
        lines = [OrderItem(str(i["product_retailer_id"]), int(i["quantity"])) for i in items]
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed("the catalog order has a malformed line") from None
    if not lines or any(line.quantity < 1 for line in lines):
        raise ValidationFailed("the catalog order has no lines")
    return lines


def subscription_command(text: str | None) -> bool | None:
    """True for START, False for STOP, None for anything else."""
    word = re.sub(r"[^a-z ]", "", (text or "").lower()).strip()
    if word in STOP_WORDS:
        return False
    if word in START_WORDS:
        return True
    return None


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may still reach a customer who last wrote at `last_inbound_at`."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


# --- outbound payloads (pure) ---


def text_payload(to: str, body: str) -> dict[str, Any]:
    """A free-form text message."""
    return {"to": to, "type": "text", "text": {"body": body[:4096], "preview_url": False}}


def buttons_payload(to: str, body: str, choices: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons (at most 3; id, title ≤ 20 characters)."""
    if not 1 <= len(choices) <= MAX_BUTTONS:
        raise ValidationFailed(f"reply buttons take 1 to {MAX_BUTTONS} choices")
    buttons = [{"type": "reply", "reply": {"id": key[:256], "title": title[:20]}} for key, title in choices]
    return {
        "to": to,
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body[:1024]}, "action": {"buttons": buttons}},
    }


def list_payload(to: str, body: str, button: str, rows: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """A list message (at most 10 rows; id, title ≤ 24, description ≤ 72)."""
    if not 1 <= len(rows) <= MAX_LIST_ROWS:
        raise ValidationFailed(f"a list takes 1 to {MAX_LIST_ROWS} rows")
    section = {
        "title": "Choices",
        "rows": [{"id": k[:200], "title": t[:24], "description": d[:72]} for k, t, d in rows],
    }
    action = {"button": button[:20], "sections": [section]}
    return {
        "to": to,
        "type": "interactive",
        "interactive": {"type": "list", "body": {"text": body[:4096]}, "action": action},
    }


def template_payload(to: str, name: str, language: str, variables: Sequence[str]) -> dict[str, Any]:
    """An approved template with its body variables."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if variables:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": v} for v in variables]}]
    return {"to": to, "type": "template", "template": template}


# --- the inbox ---


def client_for_number(session: Session, phone_number_id: str, default: tuple[str, str] | None) -> str | None:
    """The client that owns a WhatsApp number: the one whose profile names it, else the client the
    environment binds it to (`default` = (number id, client id): the demo shop), else None."""
    owner = session.scalars(select(Client.id).where(Client.whatsapp_phone_number_id == phone_number_id)).first()
    if owner is None and default is not None and default[0] == phone_number_id:
        owner = session.scalars(select(Client.id).where(Client.id == default[1])).first()
    return owner


def store_inbound(
    session: Session, client_id: str, messages: Iterable[Inbound], *, simulated: bool = False
) -> list[uuid.UUID]:
    """Insert the messages not stored yet (a redelivered wamid is skipped); return the new rows' ids."""
    rows = [
        {
            "id": uuid.uuid4(),
            "client_id": client_id,
            "wamid": m.wamid,
            "phone_number_id": m.phone_number_id,
            "wa_id": m.wa_id,
            "wa_user_id": m.wa_user_id,
            "contact_name": m.contact_name[:200],
            "kind": m.kind[:24],
            "payload": m.payload,
            "simulated": simulated,
            "state": InboxState.RECEIVED,
            "attempts": 0,
            "last_error": "",
            "sent_at": m.sent_at,
        }
        for m in messages
    ]
    if not rows:
        return []
    # One statement compiled once, its VALUES widened to the rows at execution ("insertmanyvalues"):
    # cheap for the webhook's batches of any size.
    inbox = InboxMessage.__table__
    statement = insert(inbox).on_conflict_do_nothing(index_elements=["client_id", "wamid"]).returning(inbox.c.id)
    return list(session.scalars(statement, rows))


STATUS_RANK = {DeliveryStatus.SENT: 1, DeliveryStatus.DELIVERED: 2, DeliveryStatus.READ: 3, DeliveryStatus.FAILED: 4}
STATUS_TIME = {
    DeliveryStatus.SENT: "sent_at",
    DeliveryStatus.DELIVERED: "delivered_at",
    DeliveryStatus.READ: "read_at",
    DeliveryStatus.FAILED: "failed_at",
}


def record_statuses(session: Session, client_id: str, updates: Iterable[StatusUpdate]) -> int:
    """Record Meta's statuses against our outbound rows (a status never moves back: a late `sent`
    after `read` only fills its time); return how many rows they matched. One SELECT for them all."""
    updates = list(updates)
    if not updates:
        return 0
    wamids = {news.wamid for news in updates}
    rows = {
        row.wamid: row
        for row in session.scalars(
            select(OutboundMessage).where(OutboundMessage.client_id == client_id, OutboundMessage.wamid.in_(wamids))
        )
    }
    matched = 0
    for news in updates:
        row = rows.get(news.wamid)
        if row is None:
            continue
        matched += 1
        if getattr(row, STATUS_TIME[news.status]) is None or news.status is not DeliveryStatus.SENT:
            setattr(row, STATUS_TIME[news.status], news.at)
        if row.status is None or STATUS_RANK[news.status] > STATUS_RANK[row.status]:
            row.status = news.status
        if news.error:
            row.error = news.error
    session.flush()
    return matched


def claim(session: Session, client_id: str, inbox_id: uuid.UUID, *, lease_s: float = LEASE_S) -> InboxMessage | None:
    """Take an inbound message to work on: None when it is finished, or leased by another worker;
    past MAX_ATTEMPTS it goes to the dead-letter state instead. The caller commits at once."""
    now = utcnow()
    row = session.scalars(
        select(InboxMessage).where(InboxMessage.client_id == client_id, InboxMessage.id == inbox_id).with_for_update()
    ).first()
    if row is None or row.state in (InboxState.DONE, InboxState.DEAD):
        return None
    if row.lease_until is not None and row.lease_until > now:
        return None
    if row.attempts >= MAX_ATTEMPTS:
        row.state, row.lease_until = InboxState.DEAD, None
        session.flush()
        return None
    row.attempts += 1
    row.state, row.lease_until = InboxState.PROCESSING, now + timedelta(seconds=lease_s)
    session.flush()
    return row


def finish(session: Session, client_id: str, inbox_id: uuid.UUID, customer_id: uuid.UUID | None) -> None:
    """The message is answered (or needs no answer): done for good."""
    session.execute(
        update(InboxMessage)
        .where(InboxMessage.client_id == client_id, InboxMessage.id == inbox_id)
        .values(state=InboxState.DONE, lease_until=None, done_at=utcnow(), customer_id=customer_id, last_error="")
    )


def release(session: Session, client_id: str, inbox_id: uuid.UUID, error: str, retry_in: timedelta) -> InboxState:
    """An attempt failed: keep the reason, and let the message be tried again after `retry_in`
    (dead once its attempts are used up)."""
    row = session.scalars(
        select(InboxMessage).where(InboxMessage.client_id == client_id, InboxMessage.id == inbox_id).with_for_update()
    ).one()
    row.last_error = error[:2000]
    row.state = InboxState.DEAD if row.attempts >= MAX_ATTEMPTS else InboxState.PROCESSING
    row.lease_until = None if row.state is InboxState.DEAD else utcnow() + retry_in
    session.flush()
    return row.state


@dataclass(frozen=True)
class Stale:
    """Work the sweeper puts back on a queue."""

    client_id: str
    id: uuid.UUID


def unfinished_inbound(session: Session, older_than: timedelta, limit: int = 500) -> list[Stale]:
    """Inbound messages received more than `older_than` ago, not done and not leased (platform scope)."""
    now = utcnow()
    rows = session.execute(
        select(InboxMessage.client_id, InboxMessage.id)
        .where(
            InboxMessage.state.in_([InboxState.RECEIVED, InboxState.PROCESSING]),
            InboxMessage.received_at < now - older_than,
            (InboxMessage.lease_until.is_(None)) | (InboxMessage.lease_until < now),
        )
        .order_by(InboxMessage.received_at)
        .limit(limit)
    ).all()
    return [Stale(client_id, row_id) for client_id, row_id in rows]


def unsent_outbound(session: Session, older_than: timedelta, limit: int = 500) -> list[Stale]:
    """Outbound messages written more than `older_than` ago and still waiting to be sent (platform scope)."""
    rows = session.execute(
        select(OutboundMessage.client_id, OutboundMessage.id)
        .where(OutboundMessage.state == OutboundState.PENDING, OutboundMessage.created_at <= utcnow() - older_than)
        .where((OutboundMessage.lease_until.is_(None)) | (OutboundMessage.lease_until < utcnow()))
        .order_by(OutboundMessage.created_at)
        .limit(limit)
    ).all()
    return [Stale(client_id, row_id) for client_id, row_id in rows]


def get_inbound(session: Session, client_id: str, inbox_id: uuid.UUID) -> InboxMessage:
    """One inbound message."""
    row = session.scalars(
        select(InboxMessage).where(InboxMessage.client_id == client_id, InboxMessage.id == inbox_id)
    ).first()
    if row is None:
        raise NotFound(f"no inbound message {inbox_id}")
    return row


def list_inbound(
    session: Session, ctx: Context, *, state: InboxState | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[InboxMessage], int]:
    """The client's inbound messages, newest first (owners and staff; `dead` lists the dead letters)."""
    ctx.require_staff(action="reading WhatsApp messages")
    query = select(InboxMessage).where(InboxMessage.client_id == ctx.client_id)
    if state is not None:
        query = query.where(InboxMessage.state == state)
    total = scoped(session, ctx).scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(InboxMessage.received_at.desc(), InboxMessage.id).limit(limit).offset(offset))
    return list(rows), total


def retry_dead(session: Session, ctx: Context, inbox_id: uuid.UUID) -> InboxMessage:
    """Give a dead inbound message (and its unsent reply, if any) a fresh set of attempts (owners only)."""
    ctx.require(Role.OWNER, action="retrying a dead WhatsApp message")
    row = get_inbound(scoped(session, ctx), ctx.client_id, inbox_id)
    if row.state is not InboxState.DEAD:
        raise ValidationFailed(f"message {inbox_id} is {row.state.value}, not dead; only dead messages are retried")
    row.state, row.attempts, row.lease_until = InboxState.RECEIVED, 0, None
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.client_id == ctx.client_id, OutboundMessage.inbox_id == inbox_id)
        .where(OutboundMessage.state == OutboundState.DEAD)
        .values(state=OutboundState.PENDING, attempts=0, lease_until=None)
    )
    session.flush()
    return row


def retry_dead_outbound(session: Session, ctx: Context, outbound_id: uuid.UUID) -> OutboundMessage:
    """Give a message of ours that failed to send MAX_ATTEMPTS times a fresh set of attempts (owners only)."""
    ctx.require(Role.OWNER, action="retrying a dead WhatsApp message")
    row = get_outbound(scoped(session, ctx), ctx.client_id, outbound_id, for_update=True)
    if row.state is not OutboundState.DEAD:
        raise ValidationFailed(f"message {outbound_id} is {row.state.value}, not dead; only dead messages are retried")
    row.state, row.attempts, row.lease_until = OutboundState.PENDING, 0, None
    session.flush()
    return row


# --- customers ---


def customer_for(session: Session, row: InboxMessage) -> tuple[Customer, datetime | None]:
    """The sender as a customer (found by business-scoped user id or wa_id, created otherwise),
    and when they wrote before this message; a new message re-opens their 24-hour window."""
    ctx = Context(row.client_id, Role.CUSTOMER, Channel.WHATSAPP, actor_name=row.contact_name)
    customer = tenancy.get_or_create_customer(
        session, ctx, wa_id=row.wa_id, wa_user_id=row.wa_user_id, name=row.contact_name
    )
    previous = customer.last_inbound_at
    at = row.sent_at or row.received_at
    if previous is None or at > previous:
        customer.last_inbound_at = at
    session.flush()
    return customer, previous


def customer_context(client_id: str, customer: Customer) -> Context:
    """How a WhatsApp customer acts: role customer, on the WhatsApp channel."""
    return Context(client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=customer.id, actor_name=customer.name)


def set_subscribed(session: Session, customer: Customer, subscribed: bool) -> None:
    """STOP / START: a stopped customer gets only replies to their own messages."""
    customer.marketing_opt_out = not subscribed
    session.flush()


def off_hours_note(session: Session, ctx: Context, previous_inbound_at: datetime | None, now: datetime) -> str | None:
    """The business's off-hours reply when it is closed now and the customer has not heard it
    lately (at most every OFF_HOURS_NOTE_EVERY); None otherwise."""
    client = tenancy.get_client(session, ctx.client_id)
    if not client.off_hours_reply or tenancy.business_info(session, ctx, now).is_open_now:
        return None
    if previous_inbound_at is not None and now - previous_inbound_at < OFF_HOURS_NOTE_EVERY:
        return None
    return client.off_hours_reply


def take_over(session: Session, ctx: Context, customer_id: uuid.UUID) -> Customer:
    """An owner or staff member answers this customer in person; the agent stays silent until handed back."""
    ctx.require_staff(action="taking over a conversation")
    customer = _customer(session, ctx, customer_id)
    customer.handoff_user_id = ctx.user_id
    session.flush()
    return customer


def hand_back(session: Session, ctx: Context, customer_id: uuid.UUID) -> Customer:
    """The agent answers this customer again."""
    ctx.require_staff(action="handing a conversation back")
    customer = _customer(session, ctx, customer_id)
    customer.handoff_user_id = None
    session.flush()
    return customer


def _customer(session: Session, ctx: Context, customer_id: uuid.UUID) -> Customer:
    customer = scoped(session, ctx).get(Customer, customer_id)
    if customer is None or customer.client_id != ctx.client_id or customer.deleted_at is not None:
        raise NotFound(f"customer {customer_id} does not exist")
    if not (customer.wa_id or customer.wa_user_id):
        raise ValidationFailed("this customer has no WhatsApp conversation")
    return customer


def handler_name(session: Session, customer: Customer) -> str | None:
    """Who answers the customer in person, when someone took the conversation over."""
    if customer.handoff_user_id is None:
        return None
    user = session.get(User, customer.handoff_user_id)
    return user.username if user else "staff"


def send_as_business(session: Session, ctx: Context, customer_id: uuid.UUID, text: str, *, key: str) -> OutboundMessage:
    """A person writes to the customer as the business: the conversation is theirs from now on (the
    agent stays silent until it is handed back) and the message goes out through the outbox, once
    per `key` (free text in the 24-hour window, the chosen template outside it). Refused when the
    customer cannot be reached."""
    if not text.strip():
        raise ValidationFailed("the message to the customer is empty")
    customer = take_over(session, ctx, customer_id)
    row = notify_customer(session, ctx.client_id, customer.id, f"human:{key}", text, reply_to_own=True)
    if row is None:
        raise ValidationFailed("this customer cannot be reached: no WhatsApp number, or the 24-hour window is closed")
    return row


@dataclass(frozen=True)
class CustomerThread:
    """A customer's WhatsApp conversation as the inbox shows it: who they are, who answers them
    (`handled_by` None: the agent), whether the 24-hour window is open, and their latest messages,
    newest first."""

    customer_id: uuid.UUID
    name: str
    wa_id: str
    handled_by: str | None
    last_inbound_at: datetime | None
    window_open: bool
    messages: list[LogLine]

    @property
    def waiting(self) -> bool:
        """The customer spoke last: nobody has answered them yet."""
        return bool(self.messages) and self.messages[0].direction == "in"


def customer_threads(session: Session, ctx: Context, *, limit: int = 10, messages: int = 3) -> list[CustomerThread]:
    """The customers who wrote on WhatsApp, the latest writer first, each with their last
    `messages` messages (owners and staff)."""
    ctx.require_staff(action="reading the customer inbox")
    query = (
        select(Customer)
        .where(Customer.client_id == ctx.client_id, Customer.deleted_at.is_(None))
        .where(Customer.last_inbound_at.is_not(None))
        .order_by(Customer.last_inbound_at.desc(), Customer.id)
        .limit(limit)
    )
    return [_thread(session, ctx, customer, messages) for customer in scoped(session, ctx).scalars(query)]


def customer_thread(session: Session, ctx: Context, customer_id: uuid.UUID, *, messages: int = 20) -> CustomerThread:
    """One customer's WhatsApp conversation with its last `messages` messages (owners and staff)."""
    ctx.require_staff(action="reading the customer inbox")
    return _thread(session, ctx, _customer(session, ctx, customer_id), messages)


def _thread(session: Session, ctx: Context, customer: Customer, messages: int) -> CustomerThread:
    return CustomerThread(
        customer.id,
        customer.name,
        customer.wa_id or customer.wa_user_id or "",
        handler_name(session, customer),
        customer.last_inbound_at,
        window_open(customer.last_inbound_at, utcnow()),
        message_log(session, ctx, customer_id=customer.id, limit=messages),
    )


# --- outbound ---


@dataclass(frozen=True)
class TurnCost:
    """What producing a reply cost (the agent's tokens and time), kept on the outbound row."""

    input_tokens: int = 0
    output_tokens: int = 0
    llm_ms: int = 0
    turn_ms: int = 0


def queue_outbound(
    session: Session,
    client_id: str,
    key: str,
    customer: Customer | None,
    payload: dict[str, Any],
    *,
    phone_number_id: str,
    inbox_id: uuid.UUID | None = None,
    simulated: bool = False,
    cost: TurnCost | None = None,
    user_id: uuid.UUID | None = None,
) -> OutboundMessage:
    """Write a message of ours before any Graph API call; a key written before returns that row
    unchanged (so a retried turn never produces a second message). It goes to `customer`, or, with
    none, to the payload's `to` (an owner's or staff member's own number: `user_id`)."""
    cost = cost or TurnCost()
    to = (customer.wa_id or customer.wa_user_id or "") if customer is not None else str(payload.get("to") or "")
    statement = (
        insert(OutboundMessage)
        .values(
            id=uuid.uuid4(),
            client_id=client_id,
            key=key,
            inbox_id=inbox_id,
            customer_id=customer.id if customer is not None else None,
            user_id=user_id,
            phone_number_id=phone_number_id,
            to_wa_id=to,
            kind=str(payload["type"]),
            payload=payload,
            state=OutboundState.SIMULATED if simulated else OutboundState.PENDING,
            attempts=0,
            error="",
            input_tokens=cost.input_tokens,
            output_tokens=cost.output_tokens,
            llm_ms=cost.llm_ms,
            turn_ms=cost.turn_ms,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "key"])
    )
    session.execute(statement)
    return session.scalars(
        select(OutboundMessage).where(OutboundMessage.client_id == client_id, OutboundMessage.key == key)
    ).one()


def fit_window(
    session: Session, customer: Customer, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """`payload` inside the customer's 24-hour window; outside it the client's chosen approved
    template (its one variable the customer's name). Refused when the window is closed and no
    template is chosen."""
    to, name = customer.wa_id or customer.wa_user_id or "", customer.name or "there"
    return fit_window_to(session, customer.client_id, to, name, customer.last_inbound_at, payload, now)


def fit_window_to(
    session: Session,
    client_id: str,
    to: str,
    name: str,
    last_inbound_at: datetime | None,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """`payload` for the number `to` (who last wrote at `last_inbound_at`) inside its 24-hour
    window; outside it the client's chosen template, its one variable `name`. Refused when the
    window is closed and no template is chosen."""
    if window_open(last_inbound_at, now or utcnow()):
        return payload
    client = tenancy.get_client(session, client_id)
    if not client.whatsapp_fallback_template:
        raise ValidationFailed("the 24-hour window is closed and the business has chosen no template to send")
    template = session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.client_id == client.id,
            MessageTemplate.name == client.whatsapp_fallback_template,
            MessageTemplate.language == client.whatsapp_template_language,
        )
    ).first()
    variables = [name] if template is None or template.variables >= 1 else []
    return template_payload(to, client.whatsapp_fallback_template, client.whatsapp_template_language, variables)


def notify_customer(
    session: Session, client_id: str, customer_id: uuid.UUID, key: str, body: str, *, reply_to_own: bool = False
) -> OutboundMessage | None:
    """Queue a message the customer did not just ask for (an approval's outcome, an order's news),
    through the outbox: free text in the window, the template outside it. Nothing for a customer
    without WhatsApp, one who said STOP (unless it answers their own request: `reply_to_own`), or
    when the window is closed and no template is chosen. A customer whose last message was
    simulated (the simulate route) gets a simulated message: logged, never sent to Graph."""
    customer = session.get(Customer, customer_id)
    if customer is None or not (customer.wa_id or customer.wa_user_id) or customer.erased_at is not None:
        return None
    if customer.marketing_opt_out and not reply_to_own:
        return None
    client = tenancy.get_client(session, client_id)
    last = _last_inbound(session, client_id, customer_id=customer.id)
    number = client.whatsapp_phone_number_id or (last.phone_number_id if last else None)
    if number is None:
        return None
    try:
        payload = fit_window(session, customer, text_payload(customer.wa_id or customer.wa_user_id or "", body))
    except ValidationFailed:
        return None
    simulated = last is not None and last.simulated
    return queue_outbound(session, client_id, key, customer, payload, phone_number_id=number, simulated=simulated)


NEWS_MAX_AGE = timedelta(hours=1)
ORDER_NEWS = {
    "confirmed": "Good news: your order #{number} is confirmed.",
    "delivered": "Your order #{number} has been delivered. Thank you for shopping with us!",
    "cancelled": "Your order #{number} has been cancelled.",
    "refund_paid": "We have refunded {amount} {currency} for order #{number}.",
}


def order_news(
    session: Session,
    ctx: Context,
    order: Order,
    event: str,
    amount: Decimal | None = None,
    ref: str = "",
    *,
    at: datetime | None = None,
) -> None:
    """Tell the order's WhatsApp customer that it was confirmed, delivered or cancelled, or that a
    refund was paid: queued in the same transaction as the change (once per order, event and `ref`;
    free text in the window, the template outside it; nothing after STOP, nor when the customer
    made the change themselves: the agent's reply tells them, nor for an event that happened `at`
    more than NEWS_MAX_AGE ago: history replayed by an import or the demo seed is not news)."""
    if order.customer_id is None or ctx.customer_id == order.customer_id:
        return
    if at is not None and at < utcnow() - NEWS_MAX_AGE:
        return
    currency = tenancy.get_client(scoped(session, ctx), ctx.client_id).currency
    body = ORDER_NEWS[event].format(number=order.number, amount=amount, currency=currency)
    key = f"order:{order.id}:{event}" + (f":{ref}" if ref else "")
    notify_customer(session, ctx.client_id, order.customer_id, key, body)


def _last_inbound(
    session: Session, client_id: str, *, customer_id: uuid.UUID | None = None, wa_id: str | None = None
) -> InboxMessage | None:
    """The last message a customer (or a wa_id) wrote to the business."""
    where = InboxMessage.customer_id == customer_id if customer_id is not None else InboxMessage.wa_id == wa_id
    return session.scalars(
        select(InboxMessage)
        .where(InboxMessage.client_id == client_id, where)
        .order_by(InboxMessage.received_at.desc())
        .limit(1)
    ).first()


def business_number(session: Session, client_id: str, wa_id: str) -> str | None:
    """The business number that writes to `wa_id`: the client's own, else the one `wa_id` last wrote to."""
    last = _last_inbound(session, client_id, wa_id=wa_id)
    return tenancy.get_client(session, client_id).whatsapp_phone_number_id or (last.phone_number_id if last else None)


def last_inbound_from(session: Session, client_id: str, wa_id: str) -> datetime | None:
    """When `wa_id` last wrote to the business (its 24-hour window starts there)."""
    query = select(Customer.last_inbound_at).where(Customer.client_id == client_id, Customer.wa_id == wa_id)
    return session.scalars(query).first()


def recorded(session: Session, client_id: str, key: str) -> OutboundMessage | None:
    """The message of ours written under `key`, if any."""
    query = select(OutboundMessage).where(OutboundMessage.client_id == client_id, OutboundMessage.key == key)
    return session.scalars(query).first()


def place_catalog_order(session: Session, ctx: Context, row: InboxMessage) -> str:
    """A catalog `order` message becomes a pending order for the customer (product_retailer_id is
    our variant SKU; the wamid is its idempotency key); return what to tell them. Refusals (an
    unknown SKU, no stock) are told, not raised."""
    try:
        items = order_items(row.payload)
        skus = {item.sku for item in items}
        query = select(Variant).where(Variant.client_id == ctx.client_id, Variant.sku.in_(skus))
        variants = {v.sku: v for v in scoped(session, ctx).scalars(query)}
        missing = sorted(skus - set(variants))
        if missing:
            return f"Sorry, these items are not in our catalog: {', '.join(missing)}."
        draft = orders.OrderDraft(
            [orders.LineRequest(variants[i.sku].id, i.quantity) for i in items],
            customer_id=ctx.customer_id,
            note=str((row.payload.get("order") or {}).get("text") or "")[:500],
            idempotency_key=f"whatsapp:{row.wamid}"[:200],
        )
        with session.begin_nested():
            order = orders.create_order(session, ctx, draft)
    except DomainError as exc:
        return f"Sorry, I could not place that order: {exc.message}"
    lines = ", ".join(f"{i.quantity} × {i.sku}" for i in items)
    currency = tenancy.get_client(session, ctx.client_id).currency
    return (
        f"Thank you! Order #{order.number} is placed and pending: {lines}, total {order.total} {currency}. "
        "We will confirm it shortly."
    )


def get_outbound(
    session: Session, client_id: str, outbound_id: uuid.UUID, *, for_update: bool = False
) -> OutboundMessage:
    """One outbound message."""
    query = select(OutboundMessage).where(OutboundMessage.client_id == client_id, OutboundMessage.id == outbound_id)
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"no outbound message {outbound_id}")
    return row


def claim_outbound(
    session: Session, client_id: str, outbound_id: uuid.UUID, *, lease_s: float = LEASE_S
) -> OutboundMessage | None:
    """Take a pending message to send, for `lease_s`: None when it is sent, dead, simulated, or
    being sent by another worker."""
    now = utcnow()
    row = session.scalars(
        update(OutboundMessage)
        .where(OutboundMessage.client_id == client_id, OutboundMessage.id == outbound_id)
        .where(OutboundMessage.state == OutboundState.PENDING)
        .where((OutboundMessage.lease_until.is_(None)) | (OutboundMessage.lease_until < now))
        .values(lease_until=now + timedelta(seconds=lease_s))
        .returning(OutboundMessage)
    ).first()
    return row


def mark_sent(session: Session, client_id: str, outbound_id: uuid.UUID, wamid: str) -> None:
    """Graph accepted the message: keep its wamid (statuses arrive under it); a one-time code's
    words are dropped from the row."""
    row = get_outbound(session, client_id, outbound_id, for_update=True)
    _forget_code(row)
    row.state, row.wamid, row.attempts, row.error = OutboundState.SENT, wamid, row.attempts + 1, ""
    row.lease_until = None
    row.sent_at = row.sent_at or utcnow()
    session.flush()


def mark_send_failed(session: Session, client_id: str, outbound_id: uuid.UUID, error: str) -> OutboundState:
    """A send failed: count it; dead after MAX_ATTEMPTS."""
    row = get_outbound(session, client_id, outbound_id, for_update=True)
    row.attempts += 1
    row.error = error[:2000]
    row.lease_until = utcnow() + timedelta(seconds=2**row.attempts)
    if row.attempts >= MAX_ATTEMPTS:
        row.state = OutboundState.DEAD
        _forget_code(row)
    session.flush()
    return row.state


def _forget_code(row: OutboundMessage) -> None:
    """A one-time code's words leave the row once it is sent or given up."""
    if row.key.startswith(CODE_KEY):
        row.payload = text_payload(row.to_wa_id, CODE_REDACTED)


# --- the message log and templates ---


@dataclass(frozen=True)
class LogLine:
    """One message in the log, either way."""

    id: uuid.UUID
    direction: str
    at: datetime
    wa_id: str
    kind: str
    text: str
    state: str
    status: str | None
    customer_id: uuid.UUID | None
    attempts: int
    error: str
    input_tokens: int = 0
    output_tokens: int = 0
    llm_ms: int = 0
    turn_ms: int = 0
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    done_at: datetime | None = None
    user_id: uuid.UUID | None = None
    inbox_id: uuid.UUID | None = None


def summary(kind: str, payload: dict[str, Any]) -> str:
    """A message's words for the log (the text, the caption, the template's name, the order's lines)."""
    if kind == "template":
        return f"[template {payload.get('template', {}).get('name', '')}]"
    if kind == "interactive" and "action" in (payload.get("interactive") or {}):
        return str(payload["interactive"].get("body", {}).get("text", ""))
    if kind == "image":
        return str((payload.get("image") or {}).get("caption") or "[image]")
    if kind == "order":
        return "[order] " + ", ".join(f"{i.quantity} × {i.sku}" for i in order_items(payload))
    return message_text(kind, payload) or f"[{kind}]"


@dataclass(frozen=True)
class LogFilter:
    """Which messages of the log: one customer's, one user's (their own number), one direction, since a time."""

    customer_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    direction: str | None = None
    since: datetime | None = None


def _log_queries(ctx: Context, which: LogFilter) -> tuple[Select[Any] | None, Select[Any] | None]:
    inbound = select(InboxMessage).where(InboxMessage.client_id == ctx.client_id)
    outbound = select(OutboundMessage).where(OutboundMessage.client_id == ctx.client_id)
    if which.customer_id is not None:
        inbound = inbound.where(InboxMessage.customer_id == which.customer_id)
        outbound = outbound.where(OutboundMessage.customer_id == which.customer_id)
    if which.user_id is not None:
        own = select(User.whatsapp_wa_id).where(User.client_id == ctx.client_id, User.id == which.user_id)
        inbound = inbound.where(InboxMessage.wa_id.in_(own))
        outbound = outbound.where(OutboundMessage.user_id == which.user_id)
    if which.since is not None:
        inbound = inbound.where(InboxMessage.received_at >= which.since)
        outbound = outbound.where(OutboundMessage.created_at >= which.since)
    wanted = {which.direction} if which.direction else {"in", "out"}
    return (inbound if "in" in wanted else None, outbound if "out" in wanted else None)


def message_log(
    session: Session,
    ctx: Context,
    *,
    customer_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
    which: LogFilter | None = None,
) -> list[LogLine]:
    """Every inbound and outbound WhatsApp message of the client (or those `which` selects; one
    customer's with `customer_id`), newest first: timings, tokens and status."""
    ctx.require_staff(action="reading the message log")
    scoped(session, ctx)
    inbound, outbound = _log_queries(ctx, which or LogFilter(customer_id=customer_id))
    window = limit + offset
    received: list[InboxMessage] = []
    written: list[OutboundMessage] = []
    if inbound is not None:
        received = list(session.scalars(inbound.order_by(InboxMessage.received_at.desc()).limit(window)))
    if outbound is not None:
        written = list(session.scalars(outbound.order_by(OutboundMessage.created_at.desc()).limit(window)))
    lines = [
        LogLine(
            m.id,
            "in",
            m.received_at,
            m.wa_id,
            m.kind,
            _safe_summary(m.kind, m.payload),
            m.state.value,
            None,
            m.customer_id,
            m.attempts,
            m.last_error,
            done_at=m.done_at,
        )
        for m in received
    ] + [
        LogLine(
            m.id,
            "out",
            m.created_at,
            m.to_wa_id,
            m.kind,
            CODE_REDACTED if m.key.startswith(CODE_KEY) else summary(m.kind, m.payload),
            m.state.value,
            m.status.value if m.status else None,
            m.customer_id,
            m.attempts,
            m.error,
            m.input_tokens,
            m.output_tokens,
            m.llm_ms,
            m.turn_ms,
            m.sent_at,
            m.delivered_at,
            m.read_at,
            m.failed_at,
            user_id=m.user_id,
            inbox_id=m.inbox_id,
        )
        for m in written
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)[offset:window]


def count_messages(session: Session, ctx: Context, which: LogFilter) -> int:
    """How many messages `which` selects (for paging the log)."""
    ctx.require_staff(action="reading the message log")
    scoped(session, ctx)
    total = 0
    for query in _log_queries(ctx, which):
        if query is not None:
            total += session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return total


@dataclass(frozen=True)
class MessageFigures:
    """The message log summed over a period: volumes, failures, tokens and how fast replies went out."""

    inbound: int
    outbound: int
    sent: int
    delivered: int
    read: int
    failed: int
    dead: int
    pending: int
    input_tokens: int
    output_tokens: int
    reply_p50_ms: int | None
    reply_p95_ms: int | None


def message_figures(session: Session, ctx: Context, since: datetime) -> MessageFigures:
    """The log's figures since `since` (aggregated in SQL); a reply's time runs from the customer's
    message reaching the webhook to Graph accepting our answer."""
    ctx.require_staff(action="reading the message log")
    scoped(session, ctx)
    inbound = session.scalar(
        select(func.count(InboxMessage.id)).where(
            InboxMessage.client_id == ctx.client_id, InboxMessage.received_at >= since
        )
    )
    out = OutboundMessage
    counted = session.execute(
        select(
            func.count(out.id),
            func.count(out.id).filter(out.state == OutboundState.SENT),
            func.count(out.id).filter(out.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.READ])),
            func.count(out.id).filter(out.status == DeliveryStatus.READ),
            func.count(out.id).filter(out.status == DeliveryStatus.FAILED),
            func.count(out.id).filter(out.state == OutboundState.DEAD),
            func.count(out.id).filter(out.state == OutboundState.PENDING),
            func.coalesce(func.sum(out.input_tokens), 0),
            func.coalesce(func.sum(out.output_tokens), 0),
        ).where(out.client_id == ctx.client_id, out.created_at >= since)
    ).one()
    reply_ms = extract("epoch", out.sent_at - InboxMessage.received_at) * 1000
    p50, p95 = session.execute(
        select(
            func.percentile_cont(0.5).within_group(reply_ms),
            func.percentile_cont(0.95).within_group(reply_ms),
        )
        .select_from(out)
        .join(InboxMessage, InboxMessage.id == out.inbox_id)
        .where(out.client_id == ctx.client_id, out.created_at >= since, out.sent_at.is_not(None))
    ).one()
    return MessageFigures(
        int(inbound or 0),
        *(int(value) for value in counted),
        None if p50 is None else round(p50),
        None if p95 is None else round(p95),
    )


def _safe_summary(kind: str, payload: dict[str, Any]) -> str:
    try:
        return summary(kind, payload)
    except ValidationFailed:
        return f"[{kind}]"


def template_body(template: dict[str, Any]) -> str:
    """The BODY component's text of a template as Graph lists it."""
    return next((c.get("text", "") for c in template.get("components") or [] if c.get("type") == "BODY"), "")


def store_templates(session: Session, ctx: Context, templates: Iterable[dict[str, Any]]) -> int:
    """Replace the client's stored templates with the ones Graph listed; return how many."""
    ctx.require_staff(action="refreshing message templates")
    scoped(session, ctx)
    session.execute(MessageTemplate.__table__.delete().where(MessageTemplate.client_id == ctx.client_id))
    count = 0
    for raw in templates:
        body = template_body(raw)
        session.add(
            MessageTemplate(
                client_id=ctx.client_id,
                name=str(raw.get("name", ""))[:512],
                language=str(raw.get("language", ""))[:16],
                category=str(raw.get("category", ""))[:32],
                status=str(raw.get("status", ""))[:32],
                body=body,
                variables=len(set(re.findall(r"\{\{\s*(\w+)\s*\}\}", body))),
            )
        )
        count += 1
    session.flush()
    return count


def list_templates(session: Session, ctx: Context) -> list[MessageTemplate]:
    """The client's stored templates, by name."""
    ctx.require_staff(action="reading message templates")
    query = select(MessageTemplate).where(MessageTemplate.client_id == ctx.client_id)
    return list(scoped(session, ctx).scalars(query.order_by(MessageTemplate.name, MessageTemplate.language)))
