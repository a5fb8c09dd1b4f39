"""The WhatsApp worker (`easy-ecom worker`; any number of them): a consumer in the group of the
inbox and outbox streams. It answers each inbound message through the conversation service, as
the customer, on the customer's thread, and sends our messages through the Graph API.

The inbox and outbound rows are the truth; the streams only wake workers. Entries a dead worker
left unacknowledged for CLAIM_IDLE_MS are taken over (XAUTOCLAIM); every SWEEP_EVERY_S the sweeper
re-enqueues rows older than STALE_AFTER that are not done (Redis lost them, or was down), and
pending outbound rows (order news, approval outcomes) are polled every POLL_OUTBOX_S. The protocol
and its one open window: docs/whatsapp.md.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis
import structlog
from sqlalchemy.exc import SQLAlchemyError

from api.whatsapp.inbox import Account, account_of
from domain import messaging, personal_numbers, search, tenancy
from domain.context import Context
from domain.errors import DomainError
from domain.messaging import TurnCost
from domain.models import Customer, InboxMessage
from graph.runtime import Runtime
from infra import queue
from infra.db import transaction
from infra.redis_client import count_hits
from infra.whatsapp import GraphError

log = structlog.get_logger(__name__)

CLAIM_IDLE_MS = 60_000
SWEEP_EVERY_S = 30.0
STALE_AFTER = timedelta(seconds=30)
POLL_OUTBOX_S = 2.0
CONVERSATION = "main"
"""The one WhatsApp conversation per customer (their thread: whatsapp:<client>:<customer>:main)."""
HANDLED_IN_PERSON = "handled in person"
MAX_IMAGE_HITS = 5
CONFIRM_BUTTONS = (("yes", "Yes"), ("no", "No"))
"""A confirmation the graph waits for, as reply buttons: the tapped title is the customer's answer."""


@dataclass(frozen=True)
class Reply:
    """What answers one inbound message: a Graph message payload (without `to`) and what it cost."""

    payload: dict[str, Any]
    cost: TurnCost = field(default_factory=TurnCost)


class SendRate:
    """At most `per_second` messages per phone number per second, across workers (a Redis counter
    per number and second; this process's own count while Redis is down)."""

    def __init__(self, client: redis.Redis, per_second: int) -> None:
        self.client, self.per_second = client, per_second
        self._local: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _count(self, number: str, second: int) -> int:
        try:
            [(hits, _)] = count_hits(self.client, [f"wa:rate:{number}:{second}"], 2)
            return hits
        except redis.RedisError:
            with self._lock:
                self._local = {k: v for k, v in self._local.items() if k[1] >= second}
                self._local[(number, second)] = self._local.get((number, second), 0) + 1
                return self._local[(number, second)]

    def wait(self, number: str) -> None:
        """Block until this number may send one more message."""
        while True:
            now = time.time()
            if self._count(number, int(now)) <= self.per_second:
                return
            time.sleep(int(now) + 1 - now)


class Worker:
    """One consumer: answers inbound messages and sends outbound ones, `threads` at a time."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        consumer: str | None = None,
        threads: int = 4,
        claim_idle_ms: int = CLAIM_IDLE_MS,
        sweep_every_s: float = SWEEP_EVERY_S,
        stale_after: timedelta = STALE_AFTER,
        lease_s: float = messaging.LEASE_S,
        block_ms: int = 1000,
    ) -> None:
        self.runtime = runtime
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.threads, self.claim_idle_ms, self.block_ms = threads, claim_idle_ms, block_ms
        self.sweep_every_s, self.stale_after, self.lease_s = sweep_every_s, stale_after, lease_s
        self.rate = SendRate(runtime.redis, runtime.settings.WHATSAPP_MESSAGES_PER_SECOND)
        self._swept_at = self._polled_at = 0.0

    # --- the loop ---

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; Redis outages are waited out (the sweeper still works from the database)."""
        with ThreadPoolExecutor(self.threads, thread_name_prefix="wa-worker") as pool:
            while not stop.is_set():
                try:
                    jobs = self.poll()
                except redis.RedisError as exc:
                    log.warning("Redis unavailable; working from the database", error=str(exc))
                    jobs = []
                    stop.wait(1.0)
                try:
                    jobs += self.due_sweeps()
                except SQLAlchemyError as exc:  # PostgreSQL down: the rows wait; so do we
                    log.warning("database unavailable; the sweeper waits", error=str(exc))
                    stop.wait(1.0)
                list(pool.map(self.run_job, jobs))

    def poll(self) -> list[tuple[str, queue.Entry | None, str, uuid.UUID]]:
        """New entries of both streams, and entries other consumers left idle for too long."""
        client = self.runtime.redis
        streams = [queue.WHATSAPP_INBOX, queue.WHATSAPP_OUTBOX]
        for stream in streams:
            queue.ensure_group(client, stream)
        entries = [e for s in streams for e in queue.claim_idle(client, s, self.consumer, self.claim_idle_ms, 50)]
        entries += queue.read_new(client, streams, self.consumer, 50, self.block_ms)
        return [(entry.stream, entry, *queue.row_of(entry)) for entry in entries]

    def due_sweeps(self) -> list[tuple[str, queue.Entry | None, str, uuid.UUID]]:
        """Rows to re-enqueue: stale inbox rows every sweep, pending outbound rows every poll.
        Enqueued when Redis answers, otherwise returned to be handled here and now."""
        now = time.monotonic()
        stale_in: list[messaging.Stale] = []
        stale_out: list[messaging.Stale] = []
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            if now - self._swept_at >= self.sweep_every_s:
                self._swept_at = now
                stale_in = messaging.unfinished_inbound(session, self.stale_after)
            if now - self._polled_at >= POLL_OUTBOX_S:
                self._polled_at = now
                stale_out = messaging.unsent_outbound(session, timedelta(0))
        direct = []
        for stream, rows in ((queue.WHATSAPP_INBOX, stale_in), (queue.WHATSAPP_OUTBOX, stale_out)):
            pairs = [(row.client_id, row.id) for row in rows]
            if rows and not queue.enqueue_rows(self.runtime.redis, stream, pairs):
                direct += [(stream, None, client_id, row_id) for client_id, row_id in pairs]
        if stale_in:
            log.info("sweeper re-enqueued unfinished inbound messages", count=len(stale_in))
        return direct

    def run_job(self, job: tuple[str, queue.Entry | None, str, uuid.UUID]) -> None:
        """Handle one row, then acknowledge its entry (the row's state decides what happens on a retry)."""
        stream, entry, client_id, row_id = job
        try:
            if stream == queue.WHATSAPP_INBOX:
                self.answer(client_id, row_id)
            else:
                self.deliver(client_id, row_id)
        except Exception:  # one bad row must not stop the worker; its state keeps it for a retry
            log.exception("WhatsApp job failed", stream=stream, client_id=client_id, id=str(row_id))
            return
        if entry is not None:
            try:
                queue.acknowledge(self.runtime.redis, entry)
            except redis.RedisError as exc:
                log.warning("could not acknowledge; the entry will be claimed and skipped", error=str(exc))

    # --- inbound ---

    def answer(self, client_id: str, inbox_id: uuid.UUID) -> None:
        """Claim the inbound message, decide and record its one reply, mark it done, then send."""
        sessions = self.runtime.sessions
        with transaction(sessions, client_id) as session:
            row = messaging.claim(session, client_id, inbox_id, lease_s=self.lease_s)
        if row is None:
            return
        try:
            outbound = self._respond(row)
        except Exception as exc:
            with transaction(sessions, client_id) as session:
                state = messaging.release(
                    session, client_id, inbox_id, f"{type(exc).__name__}: {exc}", timedelta(seconds=2**row.attempts)
                )
            log.warning(
                "inbound message failed", id=str(inbox_id), attempt=row.attempts, state=state.value, error=str(exc)
            )
            raise
        if outbound is not None:
            self.deliver(client_id, outbound)

    def _respond(self, row: InboxMessage) -> uuid.UUID | None:
        sessions, key = self.runtime.sessions, f"reply:{row.id}"
        with transaction(sessions, row.client_id) as session:
            customer, previous = messaging.customer_for(session, row)
            account = account_of(self.runtime, tenancy.get_client(session, row.client_id))
            existing = messaging.recorded(session, row.client_id, key)
            text = messaging.message_text(row.kind, row.payload)
            command = messaging.subscription_command(text)
            if command is not None:
                messaging.set_subscribed(session, customer, command)
            choice = personal_numbers.approval_choice(row.kind, row.payload)
            silent = customer.handoff_user_id is not None and command is None and choice is None
            ctx = messaging.customer_context(row.client_id, customer)
            note = messaging.off_hours_note(session, ctx, previous, row.received_at)
        if silent:
            with transaction(sessions, row.client_id) as session:
                messaging.finish(session, row.client_id, row.id, customer.id)
            return None
        if existing is not None:  # the reply was recorded by an earlier attempt: only send it
            reply = None
        elif command is not None:
            reply = Reply(messaging.text_payload("", messaging.STARTED_REPLY if command else messaging.STOPPED_REPLY))
        elif choice is not None:
            reply = Reply(messaging.text_payload("", self._decide(row, *choice)))
        else:
            reply = self._reply(row, customer, account, text)
        with transaction(sessions, row.client_id) as session:
            outbound = existing
            customer = session.get(Customer, customer.id, with_for_update=True) or customer
            if command is None and customer.handoff_user_id is not None:
                reply = None  # a person took the conversation over during the turn: they answer, not the agent
            if reply is not None:
                payload = reply.payload
                if note and payload["type"] == "text":
                    payload = messaging.text_payload("", f"{note}\n\n{payload['text']['body']}")
                payload = messaging.fit_window(
                    session, customer, payload | {"to": customer.wa_id or customer.wa_user_id or ""}
                )
                outbound = messaging.queue_outbound(
                    session,
                    row.client_id,
                    key,
                    customer,
                    payload,
                    phone_number_id=row.phone_number_id,
                    inbox_id=row.id,
                    simulated=row.simulated,
                    cost=reply.cost,
                )
            messaging.finish(session, row.client_id, row.id, customer.id)
        return outbound.id if outbound is not None else None

    def _decide(self, row: InboxMessage, approval_id: uuid.UUID, approve: bool) -> str:
        """A tapped Approve / Reject button: the owner's decision when the sender is a proved owner
        number of this shop (the domain refuses anyone else); what to tell the sender."""
        with transaction(self.runtime.sessions, row.client_id) as session:
            checked = personal_numbers.decider(session, row.client_id, row.wa_id, approval_id)
        try:
            decision = self.runtime.conversations.decide(checked.accepted(), approval_id, approve=approve)
        except DomainError as exc:
            return f"Sorry: {exc.message}"
        return personal_numbers.decided_text(decision.approval)

    def _reply(self, row: InboxMessage, customer: Customer, account: Account, text: str | None) -> Reply:
        ctx = messaging.customer_context(row.client_id, customer)
        if text is not None:
            started = time.perf_counter()
            turn = self.runtime.conversations.send(ctx, text, CONVERSATION)
            cost = TurnCost(
                turn.record.input_tokens,
                turn.record.output_tokens,
                round(turn.record.llm_seconds * 1000),
                round((time.perf_counter() - started) * 1000),
            )
            if turn.pending and turn.pending.get("kind") == "confirm":
                return Reply(messaging.buttons_payload("", turn.reply, CONFIRM_BUTTONS), cost)
            return Reply(messaging.text_payload("", turn.reply), cost)
        if row.kind == "image":
            return self._image_reply(row, ctx, account)
        if row.kind == "order":
            with transaction(self.runtime.sessions, row.client_id) as session:
                placed = messaging.place_catalog_order(session, ctx, row)
            return Reply(messaging.text_payload("", placed))
        return Reply(messaging.text_payload("", messaging.UNSUPPORTED_REPLY.format(what=row.kind)))

    def _image_reply(self, row: InboxMessage, ctx: Context, account: Account) -> Reply:
        media_id = str((row.payload.get("image") or {}).get("id") or "")
        if not (media_id and account.token):
            return Reply(
                messaging.text_payload("", "Sorry, I could not open that photo. Could you describe the product?")
            )
        media = self.runtime.whatsapp.download_media(media_id, account.token)
        with transaction(self.runtime.sessions, row.client_id) as session:
            try:
                found = search.search_by_image(
                    session, ctx, self.runtime.image_embedder, media.content, limit=MAX_IMAGE_HITS
                )
            except DomainError as exc:
                return Reply(messaging.text_payload("", f"Sorry, I could not read that photo: {exc.message}"))
            rows = [(f"product:{m.product.id}", m.product.name, m.product.category or "") for m in found.matches]
        if not rows:
            return Reply(messaging.text_payload("", "I found nothing like that photo. Could you describe the product?"))
        body = "These look closest to your photo. Pick one to hear its price and stock."
        return Reply(messaging.list_payload("", body, "See products", rows))

    # --- outbound ---

    def deliver(self, client_id: str, outbound_id: uuid.UUID) -> None:
        """Send a pending outbound message once (leased, so two workers never send it together)."""
        sessions = self.runtime.sessions
        with transaction(sessions, client_id) as session:
            row = messaging.claim_outbound(session, client_id, outbound_id, lease_s=self.lease_s)
            if row is None:
                return
            account = account_of(self.runtime, tenancy.get_client(session, client_id))
        try:
            if not account.token:
                raise GraphError("no WhatsApp access token is configured for this business", retryable=False)
            self.rate.wait(row.phone_number_id)
            wamid = self.runtime.whatsapp.send_message(row.phone_number_id, account.token, row.payload)
        except GraphError as exc:
            with transaction(sessions, client_id) as session:
                state = messaging.mark_send_failed(session, client_id, outbound_id, str(exc))
            log.warning("WhatsApp send failed", id=str(outbound_id), state=state.value, error=str(exc))
            return
        with transaction(sessions, client_id) as session:
            messaging.mark_sent(session, client_id, outbound_id, wamid)


def run_worker(
    runtime: Runtime, stop: threading.Event, on_ready: Callable[[], None] | None = None, **options: Any
) -> None:
    """Run one worker until `stop` is set."""
    worker = Worker(runtime, **options)
    if on_ready is not None:
        on_ready()
    log.info("WhatsApp worker started", consumer=worker.consumer)
    worker.run(stop)
