"""Accepting deliveries: each message stored in its client's inbox and statuses recorded, in one
committed transaction, then the new rows enqueued. Redis may be down: the rows are durable and the
sweeper enqueues them. The webhook goes through `InboxWriter`, which commits every delivery waiting
at once (group commit)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm import Session

from domain import demo, messaging, tenancy
from domain.messaging import Delivery, Inbound, Stale
from domain.models import Client
from graph.runtime import Runtime
from infra import queue as work_queue
from infra.db import set_tenant

log = structlog.get_logger(__name__)


def demo_binding(runtime: Runtime) -> tuple[str, str] | None:
    """WHATSAPP_PHONE_NUMBER_ID belongs to the demo shop unless a client's profile claims it."""
    number = runtime.settings.WHATSAPP_PHONE_NUMBER_ID
    return (number, demo.DEMO_CLIENT_ID) if number else None


OWNER_TTL_S = 30.0
"""How long a number's owner is remembered in this process (a number moved to another client is
routed there within this long)."""
_owners: dict[tuple[str, tuple[str, str] | None], tuple[float, str | None]] = {}


def owners_of(session: Session, binding: tuple[str, str] | None, numbers: set[str]) -> dict[str, str | None]:
    """The client owning each WhatsApp number (None: nobody), remembered for OWNER_TTL_S; `session`
    must not be scoped to a tenant yet."""
    now = time.monotonic()
    for number in {n for n in numbers if (n, binding) not in _owners or _owners[n, binding][0] < now}:
        _owners[number, binding] = (now + OWNER_TTL_S, messaging.client_for_number(session, number, binding))
    return {n: _owners[n, binding][1] for n in numbers}


def store_deliveries(session: Session, binding: tuple[str, str] | None, deliveries: list[Delivery]) -> list[Stale]:
    """Store every message of `deliveries` in its client's inbox (a wamid seen before, in the
    database or earlier in the batch, is skipped) and record their statuses, each client's
    statements under that client's row-level-security scope; return the new rows. A number no
    client owns is logged and skipped."""
    numbers = {m.phone_number_id for d in deliveries for m in d.messages}
    numbers |= {s.phone_number_id for d in deliveries for s in d.statuses}
    owners = owners_of(session, binding, numbers)
    messages: defaultdict[str | None, dict[str, Inbound]] = defaultdict(dict)
    statuses: defaultdict[str | None, list[messaging.StatusUpdate]] = defaultdict(list)
    for delivery in deliveries:
        for message in delivery.messages:
            messages[owners[message.phone_number_id]].setdefault(message.wamid, message)
        for status in delivery.statuses:
            statuses[owners[status.phone_number_id]].append(status)
    new: list[Stale] = []
    for client_id in sorted(set(messages) | set(statuses), key=str):
        if client_id is None:
            unknown = sorted(n for n, owner in owners.items() if owner is None)
            log.warning("WhatsApp delivery for a number no client owns; acknowledged", phone_number_ids=unknown)
            continue
        set_tenant(session, client_id)
        ids = messaging.store_inbound(session, client_id, list(messages[client_id].values()))
        messaging.record_statuses(session, client_id, statuses[client_id])
        new += [Stale(client_id, inbox_id) for inbox_id in ids]
    return new


@contextmanager
def _unit_of_work(runtime: Runtime) -> Iterator[Session]:
    """One transaction for a batch of deliveries, committed on success (rolled back otherwise). It
    begins with its first statement: unscoped when a number's owner must be looked up, else
    already scoped to the first client (one round trip less)."""
    with runtime.sessions() as session:
        set_tenant(session, None)
        yield session
        session.commit()


def accept(runtime: Runtime, *deliveries: Delivery) -> list[Stale]:
    """Store `deliveries` in one committed transaction, then enqueue the new messages (one Redis
    round trip); return them."""
    with _unit_of_work(runtime) as session:
        new = store_deliveries(session, demo_binding(runtime), list(deliveries))
    work_queue.enqueue_rows(runtime.redis, work_queue.WHATSAPP_INBOX, [(row.client_id, row.id) for row in new])
    return new


MAX_BATCH = 500
"""Deliveries committed together at most (a bound on one transaction's size)."""
WRITER_THREADS = 2


@dataclass(frozen=True)
class _Waiter:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


_Outcome = tuple[asyncio.Future[None], BaseException | None]


def _settle(outcomes: list[_Outcome]) -> None:
    for done, error in outcomes:
        if done.done():  # the request was cancelled (the caller hung up)
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


class InboxWriter:
    """Group commit for the webhook: a writer thread takes every delivery waiting, stores them all
    in one transaction and one Redis round trip (`accept`), then wakes their requests. Under load
    the batches grow instead of the queue, and the event loop never waits for PostgreSQL.

    `threads` writers take turns: while one waits for its commit (a WAL flush, or a backend the
    busy machine has not scheduled yet), the next one writes the deliveries that arrived
    meanwhile, so one slow commit does not hold every request up. (The same wamid in two
    concurrent batches: the second INSERT waits for the first to commit, then skips it.)

    The database unavailable (connection, timeout) fails the whole batch (each request answers
    503 and Meta retries). Any other error fails only its delivery: the batch is written again
    one delivery at a time."""

    def __init__(self, runtime: Runtime, *, threads: int = WRITER_THREADS, max_batch: int = MAX_BATCH) -> None:
        self.runtime, self.max_batch = runtime, max_batch
        self._waiting: queue.SimpleQueue[_Waiter | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"whatsapp-inbox-writer-{n}", daemon=True) for n in range(threads)
        ]
        self._closed = False

    def start(self) -> InboxWriter:
        """Start writing (deliveries stored before this wait for it)."""
        for thread in self._threads:
            thread.start()
        return self

    async def store(self, delivery: Delivery) -> None:
        """Return once `delivery` is committed; raise what its transaction raised."""
        if self._closed:
            raise RuntimeError("the inbox writer is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.put(_Waiter(delivery, loop, done))
        await done

    def close(self) -> None:
        """Write what is waiting, then stop the threads."""
        self._closed = True
        for _ in self._threads:
            self._waiting.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _run(self) -> None:
        closing = False
        while not closing and (first := self._waiting.get()) is not None:
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    waiter = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if waiter is None:
                    closing = True
                    break
                batch.append(waiter)
            by_loop: defaultdict[asyncio.AbstractEventLoop, list[_Outcome]] = defaultdict(list)
            for waiter, error in zip(batch, self._write(batch), strict=True):
                by_loop[waiter.loop].append((waiter.done, error))
            for loop, outcomes in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, outcomes)

    def _write(self, batch: list[_Waiter]) -> list[BaseException | None]:
        try:
            accept(self.runtime, *(waiter.delivery for waiter in batch))
        except (OperationalError, SQLAlchemyTimeoutError) as exc:
            return [exc] * len(batch)
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            return [error for waiter in batch for error in self._write([waiter])]
        return [None] * len(batch)


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
