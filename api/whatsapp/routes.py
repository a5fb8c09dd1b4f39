"""/chat/webhook's handshake (Meta's deliveries are served by api/whatsapp/webhook.py), the
simulate route, the message log, the inbox's dead letters, templates and human handoff."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated

import structlog
from fastapi import Query
from fastapi.responses import PlainTextResponse

from api.auth import CurrentCaller, OwnerCaller
from api.deps import RuntimeDep, WhatsAppDep
from api.routing import ApiRouter
from api.schemas.common import Page, PageQuery
from api.schemas.whatsapp import (
    CustomerThreadRead,
    Handoff,
    HumanMessage,
    InboundAccepted,
    InboxRead,
    MessageLogLine,
    SimulatedInbound,
    TemplateRead,
)
from api.whatsapp.inbox import account_of
from domain import messaging, tenancy
from domain.errors import Forbidden
from domain.messaging import Inbound
from domain.models import InboxState
from domain.models.base import utcnow
from infra import queue
from infra.whatsapp import GraphError

router = ApiRouter(prefix="/chat", tags=["whatsapp"])
log = structlog.get_logger(__name__)


@router.get("/webhook", response_class=PlainTextResponse)
def verify_webhook(
    runtime: RuntimeDep,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> str:
    """Meta's verification handshake: echo `hub.challenge` when the verify token matches (403 otherwise)."""
    expected = runtime.settings.WHATSAPP_VERIFY_TOKEN
    matches = expected is not None and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    if mode != "subscribe" or not matches:
        raise Forbidden("the verify token does not match WHATSAPP_VERIFY_TOKEN")
    return challenge


@router.post("/webhook/inbound", status_code=202)
def simulate_inbound(body: SimulatedInbound, caller: OwnerCaller) -> InboundAccepted:
    """Simulate a customer's message (owners; refused in production unless
    WHATSAPP_SIMULATE_IN_PRODUCTION): it goes through the same inbox and worker, and the reply
    appears in GET /chat/messages (it is not sent to WhatsApp)."""
    settings = caller.runtime.settings
    if settings.is_production and not settings.WHATSAPP_SIMULATE_IN_PRODUCTION:
        raise Forbidden("simulated messages are refused in production (WHATSAPP_SIMULATE_IN_PRODUCTION is off)")
    wamid = f"sim.{uuid.uuid4().hex}"
    message = _message(body, wamid)
    with caller.transaction() as (session, ctx):
        ctx.require_staff(action="simulating a message")
        client = tenancy.get_client(session, ctx.client_id)
        number = account_of(caller.runtime, client).phone_number_id or f"sim-{ctx.client_id}"
        inbound = Inbound(number, wamid, body.wa_id, None, body.name, str(message["type"]), message, utcnow())
        [inbox_id] = messaging.store_inbound(session, ctx.client_id, [inbound], simulated=True)
    queue.enqueue_rows(caller.runtime.redis, queue.WHATSAPP_INBOX, [(caller.ctx.client_id, inbox_id)])
    return InboundAccepted(id=inbox_id, wamid=wamid)


def _message(body: SimulatedInbound, wamid: str) -> dict[str, object]:
    base = {"from": body.wa_id, "id": wamid, "timestamp": str(int(utcnow().timestamp()))}
    if body.text is not None:
        return base | {"type": "text", "text": {"body": body.text}}
    return messaging.without_nul(body.message or {}) | base


@router.get("/messages")
def message_log(
    caller: CurrentCaller,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageLogLine]:
    """Every inbound and outbound WhatsApp message, newest first, with timings, tokens and status."""
    with caller.transaction() as (session, ctx):
        lines = messaging.message_log(session, ctx, customer_id=customer_id, limit=limit)
    return [MessageLogLine.model_validate(line) for line in lines]


@router.get("/inbox")
def list_inbox(
    caller: CurrentCaller, page: PageQuery, state: Annotated[InboxState | None, Query()] = None
) -> Page[InboxRead]:
    """Inbound messages, newest first; `?state=dead` lists the dead letters (failed 5 times)."""
    with caller.transaction() as (session, ctx):
        rows, total = messaging.list_inbound(session, ctx, state=state, limit=page.limit, offset=page.offset)
        items = [InboxRead.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/inbox/{inbox_id}/retry")
def retry_inbox(inbox_id: uuid.UUID, caller: OwnerCaller) -> InboxRead:
    """Give a dead inbound message five fresh attempts (owners)."""
    with caller.transaction() as (session, ctx):
        read = InboxRead.model_validate(messaging.retry_dead(session, ctx, inbox_id))
    queue.enqueue_rows(caller.runtime.redis, queue.WHATSAPP_INBOX, [(caller.ctx.client_id, inbox_id)])
    return read


@router.post("/messages/{message_id}/retry", status_code=202)
def retry_message(message_id: uuid.UUID, caller: OwnerCaller) -> MessageLogLine:
    """Send again a message of ours that failed five times (owners); it shows in the log as pending."""
    with caller.transaction() as (session, ctx):
        row = messaging.retry_dead_outbound(session, ctx, message_id)
        customer_id = row.customer_id
    queue.enqueue_rows(caller.runtime.redis, queue.WHATSAPP_OUTBOX, [(caller.ctx.client_id, message_id)])
    with caller.transaction() as (session, ctx):
        log_lines = messaging.message_log(session, ctx, customer_id=customer_id, limit=200)
    return MessageLogLine.model_validate(next(line for line in log_lines if line.id == message_id))


@router.get("/templates")
def list_templates(caller: CurrentCaller, whatsapp: WhatsAppDep) -> list[TemplateRead]:
    """The business's message templates, refreshed from the Graph API first when a token and a
    WhatsApp Business Account are configured (the stored ones are shown if Graph fails)."""
    with caller.transaction() as (session, ctx):
        account = account_of(caller.runtime, tenancy.get_client(session, ctx.client_id))
    if account.token and account.business_account_id:
        try:
            fresh = whatsapp.list_templates(account.business_account_id, account.token)
        except GraphError as exc:
            log.warning("could not refresh WhatsApp templates; showing the stored ones", error=str(exc))
        else:
            with caller.transaction() as (session, ctx):
                messaging.store_templates(session, ctx, fresh)
    with caller.transaction() as (session, ctx):
        return [TemplateRead.model_validate(t) for t in messaging.list_templates(session, ctx)]


@router.get("/conversations")
def customer_conversations(
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    messages: Annotated[int, Query(ge=1, le=50)] = 3,
) -> list[CustomerThreadRead]:
    """The customers who wrote on WhatsApp, the latest writer first, each with who answers them and
    their last `messages` messages (the console's customer inbox)."""
    with caller.transaction() as (session, ctx):
        threads = messaging.customer_threads(session, ctx, limit=limit, messages=messages)
    return [CustomerThreadRead.model_validate(thread) for thread in threads]


@router.post("/conversations/{customer_id}/takeover")
def take_over(customer_id: uuid.UUID, caller: CurrentCaller) -> Handoff:
    """A person answers this customer from now on; the agent stays silent until handed back."""
    with caller.transaction() as (session, ctx):
        customer = messaging.take_over(session, ctx, customer_id)
        return Handoff(customer_id=customer.id, handled_by=messaging.handler_name(session, customer))


@router.post("/conversations/{customer_id}/handback")
def hand_back(customer_id: uuid.UUID, caller: CurrentCaller) -> Handoff:
    """The agent answers this customer again."""
    with caller.transaction() as (session, ctx):
        customer = messaging.hand_back(session, ctx, customer_id)
        return Handoff(customer_id=customer.id, handled_by=None)


@router.post("/conversations/{customer_id}/messages", status_code=202)
def send_as_business(customer_id: uuid.UUID, body: HumanMessage, caller: CurrentCaller) -> MessageLogLine:
    """A person who took the conversation over writes to the customer (through the outbox)."""
    with caller.transaction() as (session, ctx):
        row = messaging.send_as_business(session, ctx, customer_id, body.text, key=str(uuid.uuid4()))
        [line] = [line for line in messaging.message_log(session, ctx, customer_id=customer_id) if line.id == row.id]
    queue.enqueue_rows(caller.runtime.redis, queue.WHATSAPP_OUTBOX, [(caller.ctx.client_id, row.id)])
    return MessageLogLine.model_validate(line)
