"""What the console does, outside Chainlit: log in through the domain, run and stream turns through
the conversation service, list and decide approvals (and find the open sessions a decision's reply
is pushed to), the WhatsApp customer inbox with its human handoff, search by photo, and read the
owner's views (dashboard, control panel, policy) and the superadmin's Client Admin figures and
lists. Synchronous like the domain; the Chainlit callbacks call it from a thread and only render
what it returns."""

from __future__ import annotations

import asyncio
import atexit
import functools
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from chat_ui.accounts import ConsoleUser, parse_identifier
from chat_ui.charts import DashboardData
from domain import admin, auth, images, messaging, operations, reports, search, tenancy
from domain.errors import Forbidden
from domain.messaging import CustomerThread, LogLine
from domain.models import Approval, ApprovalStatus, Channel, Client, Order, Product, User
from domain.models.base import utcnow
from graph.conversations import Conversation, Decision, Exchange, Recipient, thread_key
from graph.runtime import Runtime, freeze_startup_heap, open_runtime
from graph.turns import Turn, TurnEvent
from infra import queue
from infra.db import transaction
from infra.settings import load_settings

T = TypeVar("T")

Notifier = Callable[[Recipient, str], None]
"""Pushes a decision's reply to a requester on another channel (e.g. the WhatsApp worker's sender)."""


@dataclass(frozen=True)
class ProductMatch:
    """A product found from a photo, with its pictures (bytes and content type)."""

    name: str
    skus: list[str]
    price: Decimal | None
    score: float
    pictures: list[tuple[bytes, str]]


@dataclass(frozen=True)
class PolicySnapshot:
    """The business profile and policy an owner sees in the sidebar."""

    client: Client
    is_open_now: bool


@dataclass(frozen=True)
class ShopLists:
    """The superadmin's lists of one shop (or of all): users, products and orders, first pages."""

    users: list[User]
    user_count: int
    products: list[Product]
    product_count: int
    orders: list[Order]
    order_count: int


class Watchers:
    """Which open console sessions show which conversation thread, so a reply produced elsewhere
    (an owner's decision resuming a staff member's request) is pushed to them. In this process
    only: the console runs as one worker."""

    def __init__(self) -> None:
        self._threads: dict[str, str] = {}
        self._lock = threading.Lock()

    def watch(self, session_id: str, thread: str) -> None:
        """`session_id` now shows `thread` (one thread per session: reopening another replaces it)."""
        with self._lock:
            self._threads[session_id] = thread

    def forget(self, session_id: str) -> None:
        """The session ended."""
        with self._lock:
            self._threads.pop(session_id, None)

    def sessions(self, thread: str | None, *, besides: str | None = None) -> list[str]:
        """The sessions showing `thread`, except `besides` (the session that caused the reply)."""
        with self._lock:
            return sorted(sid for sid, shown in self._threads.items() if shown == thread and sid != besides)


class Console:
    """The console's operations over one runtime; every method takes the logged-in user."""

    def __init__(self, runtime: Runtime, notifiers: dict[Channel, Notifier] | None = None) -> None:
        self.runtime = runtime
        self.notifiers: dict[Channel, Notifier] = dict(notifiers or {})
        """Who delivers a decision's reply on channels other than the console and REST (whose
        requesters read it in their conversation): the WhatsApp channel registers its sender here."""
        self.watchers = Watchers()
        """The open sessions per console thread; a decision's reply for one is pushed to them."""

    # -- login ---------------------------------------------------------------------------------

    def log_in(self, identifier: str, password: str) -> ConsoleUser:
        """The user behind `username@client` (or the superadmin); raises AuthenticationFailed or
        RateLimited. The attempt's audit event is committed either way."""
        client_id, username = parse_identifier(identifier)
        with transaction(self.runtime.sessions) as session:  # no client IP here: the per-username count applies
            attempt = auth.login(session, self.runtime.lockout, client_id, username, password, Channel.CONSOLE, None)
        account = attempt.accepted()
        if isinstance(account, User):
            return ConsoleUser(account.id, account.username, account.client_id, account.role)
        return ConsoleUser(account.id, account.username, None, None)

    # -- conversations -------------------------------------------------------------------------

    def stream(self, user: ConsoleUser, text: str, conversation: str) -> Iterator[TurnEvent | Turn]:
        """One turn of the user's conversation: events, then the Turn."""
        return self.runtime.conversations.stream(user.context(), text, conversation)

    def conversations(self, user: ConsoleUser, limit: int = 8) -> list[Conversation]:
        """The user's recent console conversations, to continue one."""
        return self.runtime.conversations.conversations(user.context(), limit=limit)

    def history(self, user: ConsoleUser, conversation: str) -> list[Exchange]:
        """A conversation so far (to show it again when it is reopened)."""
        return self.runtime.conversations.history(user.context(), conversation)

    def watch(self, user: ConsoleUser, conversation: str, session_id: str) -> None:
        """Session `session_id` shows this conversation: replies to it made elsewhere are pushed there."""
        self.watchers.watch(session_id, thread_key(user.context(), conversation))

    # -- approvals -----------------------------------------------------------------------------

    def pending_approvals(self, user: ConsoleUser) -> list[Approval]:
        """Requests waiting for the owner (from every channel); none for staff."""
        if not user.is_owner:
            return []
        pending, _ = self.runtime.conversations.list_approvals(user.context(), status=ApprovalStatus.PENDING)
        return pending

    def decide(self, user: ConsoleUser, approval_id: uuid.UUID, *, approve: bool) -> Decision:
        """The owner's decision: the action runs (once), the requester's conversation resumes, and
        a requester on a pushed channel is told through its notifier."""
        decision = self.runtime.conversations.decide(user.context(), approval_id, approve=approve)
        notifier = self.notifiers.get(decision.notify.channel)
        if notifier is not None and decision.reply:
            notifier(decision.notify, decision.reply)
        return decision

    def live_sessions(self, decision: Decision, *, besides: str | None = None) -> list[str]:
        """The open console sessions showing the requester's conversation (not `besides`, the
        deciding session), to push the resumed reply to without a reload."""
        if decision.notify.channel is not Channel.CONSOLE or not decision.reply:
            return []
        return self.watchers.sessions(decision.notify.thread, besides=besides)

    # -- customer inbox (WhatsApp) and human handoff -------------------------------------------

    def inbox(self, user: ConsoleUser, limit: int = 10) -> list[CustomerThread]:
        """The customers who wrote on WhatsApp, latest first, with their last messages (owners and staff)."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            return messaging.customer_threads(session, ctx, limit=limit)

    def customer_thread(self, user: ConsoleUser, customer_id: uuid.UUID) -> CustomerThread:
        """One customer's conversation, with its recent messages."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            return messaging.customer_thread(session, ctx, customer_id)

    def take_over(self, user: ConsoleUser, customer_id: uuid.UUID) -> CustomerThread:
        """The user answers this customer in person; the agent stays silent on the thread."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            messaging.take_over(session, ctx, customer_id)
            return messaging.customer_thread(session, ctx, customer_id)

    def hand_back(self, user: ConsoleUser, customer_id: uuid.UUID) -> CustomerThread:
        """The agent answers this customer again."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            messaging.hand_back(session, ctx, customer_id)
            return messaging.customer_thread(session, ctx, customer_id)

    def reply(self, user: ConsoleUser, customer_id: uuid.UUID, text: str, key: str) -> LogLine:
        """Write to the customer as the business (taking the thread over): recorded in the outbox
        once per `key` (the console message's id), then the WhatsApp worker is woken to send it."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            row = messaging.send_as_business(session, ctx, customer_id, text, key=key)
            lines = messaging.message_log(session, ctx, customer_id=customer_id, limit=200)
        queue.enqueue_rows(self.runtime.redis, queue.WHATSAPP_OUTBOX, [(ctx.client_id, row.id)])
        return next(line for line in lines if line.id == row.id)

    # -- photo search --------------------------------------------------------------------------

    def photo_search(self, user: ConsoleUser, data: bytes, limit: int = 3) -> list[ProductMatch]:
        """Products that look like the photo, best first, with their pictures."""
        ctx, runtime = user.context(), self.runtime
        with transaction(runtime.sessions, ctx.client_id) as session:
            found = search.search_by_image(
                session, ctx, runtime.image_embedder, data, limit=limit, describer=runtime.image_describer
            )
            matches = []
            for match in found.matches:
                product = match.product
                pictures = [
                    images.image_content(session, ctx, runtime.object_storage, product.id, picture.id)
                    for picture in images.list_images(session, ctx, product.id)[:2]
                ]
                variants = [v for v in product.variants if v.is_active]
                price = min((v.price for v in variants), default=None)
                matches.append(ProductMatch(product.name, [v.sku for v in variants], price, match.score, pictures))
        return matches

    # -- owner views ---------------------------------------------------------------------------

    def dashboard(self, user: ConsoleUser) -> DashboardData:
        """The command-center figures, read in one transaction (owners)."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            return DashboardData(
                reports.dashboard(session, ctx),
                reports.stock_aging(session, ctx),
                reports.product_performance(session, ctx),
                reports.inventory_days(session, ctx),
                messaging.message_figures(session, ctx, utcnow() - timedelta(days=1)),
            )

    def control_panel(self, user: ConsoleUser) -> operations.ControlPanel:
        """Session activity, sensitive order changes, failed logins, data freshness (owners)."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            return operations.control_panel(session, ctx)

    def policy(self, user: ConsoleUser) -> PolicySnapshot:
        """The business profile and policy (owners)."""
        ctx = user.context()
        with transaction(self.runtime.sessions, ctx.client_id) as session:
            info = tenancy.business_info(session, ctx)
            client = tenancy.get_client(session, ctx.client_id)
            session.expunge(client)
        return PolicySnapshot(client, info.is_open_now)

    # -- Client Admin (superadmin) -------------------------------------------------------------

    def _require_superadmin(self, user: ConsoleUser) -> None:
        if not user.is_superadmin:
            raise Forbidden("the Client Admin view is the platform superadmin's")

    def client_ids(self, user: ConsoleUser) -> list[str]:
        """Every shop's id, for the client filter."""
        self._require_superadmin(user)
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            clients, _ = admin.list_clients(session, limit=500)
            return [client.id for client in clients]

    def client_admin(self, user: ConsoleUser, client_id: str | None = None) -> admin.PlatformOverview:
        """Per-shop figures with totals per currency; all shops or the one of the filter."""
        self._require_superadmin(user)
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            return admin.admin_overview(session, client_id=client_id, limit=100)

    def shop_lists(self, user: ConsoleUser, client_id: str | None = None, limit: int = 20) -> ShopLists:
        """The first users, products and orders of one shop (or of all), with how many there are."""
        self._require_superadmin(user)
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            users, user_count = admin.list_users(session, client_id=client_id, limit=limit)
            products, product_count = admin.list_products(session, client_id=client_id, limit=limit)
            orders, order_count = admin.list_orders(session, client_id=client_id, limit=limit)
            return ShopLists(users, user_count, products, product_count, orders, order_count)

    def create_shop(
        self, user: ConsoleUser, client_id: str, name: str, currency: str, owner_username: str, owner_password: str
    ) -> str:
        """Open a shop with its owner (both or neither); returns the owner's console login."""
        self._require_superadmin(user)
        with transaction(self.runtime.sessions, platform_admin=True) as session:
            client, owner = admin.onboard_client(
                session, client_id, name, owner_username, owner_password, currency=currency
            )
            return f"{owner.username}@{client.id}"


async def in_thread(items: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Iterate a blocking iterator in a worker thread, handing each item to the event loop as it
    comes (token streaming from the synchronous conversation service)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    done = object()

    def pump() -> None:
        try:
            for item in items():
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except Exception as exc:  # handed over and raised in the caller
            loop.call_soon_threadsafe(queue.put_nowait, _Failed(exc))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, done)

    worker = loop.run_in_executor(None, pump)
    try:
        while (item := await queue.get()) is not done:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        await worker


@dataclass(frozen=True)
class _Failed:
    error: Exception


@functools.cache
def shared_console() -> Console:
    """This process's console, over a runtime opened from the environment's settings and closed at exit."""
    stack = ExitStack()
    runtime = stack.enter_context(open_runtime(load_settings()))
    atexit.register(stack.close)
    freeze_startup_heap()
    return Console(runtime)
