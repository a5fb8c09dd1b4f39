"""Accepting a delivery: each message stored in its client's inbox (committed), statuses recorded,
then the new rows enqueued. Redis may be down: the rows are durable and the sweeper enqueues them."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import structlog

from domain import demo, messaging, tenancy
from domain.messaging import Delivery, Stale
from domain.models import Client
from graph.runtime import Runtime
from infra import queue
from infra.db import transaction

log = structlog.get_logger(__name__)


def demo_binding(runtime: Runtime) -> tuple[str, str] | None:
    """WHATSAPP_PHONE_NUMBER_ID belongs to the demo shop unless a client's profile claims it."""
    number = runtime.settings.WHATSAPP_PHONE_NUMBER_ID
    return (number, demo.DEMO_CLIENT_ID) if number else None


OWNER_TTL_S = 30.0
"""How long a number's owner is remembered in this process (a number moved to another client is
routed there within this long)."""
_owners: dict[tuple[str, tuple[str, str] | None], tuple[float, str | None]] = {}


def owners_of(runtime: Runtime, numbers: set[str]) -> dict[str, str | None]:
    """The client owning each WhatsApp number (None: nobody), remembered for OWNER_TTL_S."""
    now, binding = time.monotonic(), demo_binding(runtime)
    unknown = {n for n in numbers if (n, binding) not in _owners or _owners[n, binding][0] < now}
    if unknown:
        with transaction(runtime.sessions) as session:
            for number in unknown:
                _owners[number, binding] = (now + OWNER_TTL_S, messaging.client_for_number(session, number, binding))
    return {n: _owners[n, binding][1] for n in numbers}


def accept(runtime: Runtime, delivery: Delivery, *, simulated: bool = False) -> list[Stale]:
    """Store every message of `delivery` in its client's inbox and record its statuses (one
    committed transaction per client), then enqueue the new messages; return them. A number no
    client owns is logged and skipped."""
    numbers = {m.phone_number_id for m in delivery.messages} | {s.phone_number_id for s in delivery.statuses}
    owners = owners_of(runtime, numbers)
    messages, statuses = defaultdict(list), defaultdict(list)
    for message in delivery.messages:
        messages[owners[message.phone_number_id]].append(message)
    for status in delivery.statuses:
        statuses[owners[status.phone_number_id]].append(status)
    new: list[Stale] = []
    for client_id in sorted(set(messages) | set(statuses), key=str):
        if client_id is None:
            unknown = sorted(n for n, owner in owners.items() if owner is None)
            log.warning("WhatsApp delivery for a number no client owns; acknowledged", phone_number_ids=unknown)
            continue
        with transaction(runtime.sessions, client_id) as session:
            ids = messaging.store_inbound(session, client_id, messages[client_id], simulated=simulated)
            messaging.record_statuses(session, client_id, statuses[client_id])
        new += [Stale(client_id, inbox_id) for inbox_id in ids]
    queue.enqueue_rows(runtime.redis, queue.WHATSAPP_INBOX, [(row.client_id, row.id) for row in new])
    return new


@dataclass(frozen=True)
class Account:
    """A client's WhatsApp Business credentials: from its profile, or the environment's for the
    client WHATSAPP_PHONE_NUMBER_ID is bound to (the demo shop)."""

    phone_number_id: str | None
    token: str | None
    business_account_id: str | None


def account_of(runtime: Runtime, client: Client) -> Account:
    """The credentials the client sends and lists templates with (a field may be None: not configured)."""
    settings = runtime.settings
    token = tenancy.whatsapp_access_token(client, settings.secret_key())
    bound = demo_binding(runtime)
    from_env = bound is not None and bound[1] == client.id and client.whatsapp_phone_number_id in (None, bound[0])
    if from_env:
        env_token = settings.WHATSAPP_ACCESS_TOKEN.get_secret_value() if settings.WHATSAPP_ACCESS_TOKEN else None
        return Account(
            bound[0] if bound else None,
            token or env_token,
            client.whatsapp_business_account_id or settings.WHATSAPP_BUSINESS_ACCOUNT_ID,
        )
    return Account(client.whatsapp_phone_number_id, token, client.whatsapp_business_account_id)
