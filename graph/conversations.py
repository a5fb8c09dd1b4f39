"""The conversation service every channel calls: open or continue a principal's conversation,
run or stream a turn, list and decide approvals and resume the requester, and say whom the reply
must reach.

Synchronous, like the domain; async channels call it from a thread. Each turn's database work is
its own short transactions inside the tools and the checkpointer: no transaction stays open
across a model call. One turn at a time per thread (`ThreadLocks`): a message that arrives while
a turn or a resume runs on the same thread waits for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import redis
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.types import Checkpointer
from sqlalchemy.orm import Session, sessionmaker

from domain import approvals, auth, messaging, usage
from domain.context import Context
from domain.errors import Conflict
from domain.models import Approval, ApprovalStatus, Channel
from graph.builder import AgentLimits, GraphCache
from graph.turns import Turn, TurnEvent, UsageLedger, resume_with_decision, stream_turn
from infra.db import transaction
from infra.text_embeddings import TextEmbedder
from tools.runtime import ToolEnv

log = logging.getLogger(__name__)

TURN_LOCK_S = 300
"""Longest a turn may hold its thread (a real model's slowest turn, with room); then the lock lapses."""


def thread_key(ctx: Context, conversation: str) -> str:
    """The checkpoint thread of one conversation of one principal of one tenant, per channel; built
    only from what the channel authenticated, so no caller can name another principal's thread."""
    principal = ctx.user_id or ctx.customer_id
    if principal is None:
        raise ValueError("a conversation belongs to a user or a customer")
    return f"{ctx.channel.value}:{ctx.client_id}:{principal}:{conversation}"


class ThreadLocks:
    """One turn at a time per thread: a lock in this process (striped) and, across processes, a
    Redis lock. While Redis is down only the in-process lock holds (logged)."""

    STRIPES = 1024

    def __init__(self, client: redis.Redis | None, timeout_s: float = TURN_LOCK_S) -> None:
        self.client, self.timeout_s = client, timeout_s
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def _stripe(self, thread: str) -> threading.Lock:
        digest = hashlib.blake2b(thread.encode(), digest_size=4).digest()
        return self._stripes[int.from_bytes(digest) % self.STRIPES]

    @contextmanager
    def hold(self, thread: str) -> Iterator[None]:
        """Wait for the thread (up to the lock timeout), then hold it until the block ends."""
        local = self._stripe(thread)
        if not local.acquire(timeout=self.timeout_s):
            raise Conflict("this conversation is still busy with an earlier message; try again shortly")
        try:
            with self._shared(thread):
                yield
        finally:
            local.release()

    @contextmanager
    def _shared(self, thread: str) -> Iterator[None]:
        if self.client is None:
            yield
            return
        lock = self.client.lock(f"turn-lock:{thread}", timeout=self.timeout_s, blocking_timeout=self.timeout_s)
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            log.warning("Redis unavailable for the turn lock (%s); this process's lock only", exc)
            yield
            return
        if not acquired:
            raise Conflict("this conversation is still busy with an earlier message; try again shortly")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.RedisError as exc:  # expired or Redis gone: the timeout frees it
                log.warning("could not release the turn lock of %s: %s", thread, exc)


@dataclass(frozen=True)
class Recipient:
    """Whom a reply must reach: the channel, the user or customer on it, and their conversation
    (the checkpoint thread), so the channel can push the reply (WhatsApp, console) or the caller
    reads it (REST)."""

    channel: Channel
    client_id: str
    user_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    thread: str | None


@dataclass(frozen=True)
class Conversation:
    """One of a principal's conversations: its id (for `stream`), a title, turns and last use."""

    id: str
    title: str
    turns: int
    last_at: datetime


@dataclass(frozen=True)
class Exchange:
    """A message of a conversation and the answer it got."""

    question: str
    answer: str


@dataclass(frozen=True)
class Decision:
    """An owner's decision: the request as decided (executed or not), and, when a conversation was
    waiting on it, the requester's reply and whom it must reach."""

    approval: Approval
    reply: str
    notify: Recipient


class ConversationService:
    """Turns and approvals for every channel, over one model, checkpointer and graph cache."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        model: BaseChatModel,
        checkpointer: Checkpointer,
        graphs: GraphCache,
        locks: ThreadLocks,
        limits: AgentLimits | None = None,
        meaning: TextEmbedder | None = None,
        outbox: Callable[[str, uuid.UUID], object] | None = None,
    ) -> None:
        self.sessions, self.model, self.checkpointer = sessions, model, checkpointer
        self.graphs, self.locks, self.limits = graphs, locks, limits or AgentLimits()
        self.meaning = meaning
        self.outbox = outbox
        """Wakes the WhatsApp worker for an outbound row (client id, row id); its poll finds it anyway."""

    def _env(self, ctx: Context) -> ToolEnv:
        return ToolEnv(ctx, self.sessions, self.meaning)

    @contextmanager
    def _transaction(self, ctx: Context) -> Iterator[Session]:
        """A short transaction in `ctx`'s shop, after checking a user's account is still active."""
        with transaction(self.sessions, ctx.client_id, actor=ctx.account) as session:
            if ctx.user_id is not None:
                auth.require_active(session, ctx)
            yield session

    def _check_account(self, ctx: Context) -> None:
        with self._transaction(ctx):
            return

    def stream(self, ctx: Context, text: str, conversation: str) -> Iterator[TurnEvent | Turn]:
        """One turn of `ctx`'s `conversation`: token and tool events, then the finished Turn."""
        env, thread = self._env(ctx), thread_key(ctx, conversation)
        self._check_account(ctx)  # in its own short transaction: none stays open across a model call
        graph = self.graphs.get(env, self.model, self.checkpointer)
        with self.locks.hold(thread):
            yield from stream_turn(graph, thread, text, limits=self.limits, ledger=UsageLedger(env))

    def send(self, ctx: Context, text: str, conversation: str) -> Turn:
        """One turn, without the stream."""
        *_, last = self.stream(ctx, text, conversation)
        assert isinstance(last, Turn)
        return last

    def conversations(self, ctx: Context, *, limit: int = 10) -> list[Conversation]:
        """`ctx`'s recent conversations on its channel, most recently used first, each titled by its
        first message."""
        prefix = thread_key(ctx, "")
        with self._transaction(ctx) as session:
            threads = usage.list_threads(session, ctx, prefix, limit=limit)
        listed = []
        for thread in threads:
            exchanges = self.history(ctx, thread.thread_id.removeprefix(prefix))
            title = exchanges[0].question if exchanges else ""
            listed.append(Conversation(thread.thread_id.removeprefix(prefix), title, thread.turns, thread.last_at))
        return listed

    def history(self, ctx: Context, conversation: str) -> list[Exchange]:
        """The conversation so far, from its checkpoint: each message and the answer it got (the
        last one may still wait for a confirmation or the owner)."""
        env = self._env(ctx)
        graph = self.graphs.get(env, self.model, self.checkpointer)
        state = graph.get_state({"configurable": {"thread_id": thread_key(ctx, conversation)}})
        exchanges: list[Exchange] = []
        for message in state.values.get("messages", []) if state.values else []:
            if isinstance(message, HumanMessage):
                exchanges.append(Exchange(str(message.content), ""))
            elif exchanges and message.content and not getattr(message, "tool_calls", None):
                exchanges[-1] = Exchange(exchanges[-1].question, str(message.content))
        if exchanges and state.interrupts:
            waiting = state.interrupts[0].value.get("summary", "")
            exchanges[-1] = Exchange(exchanges[-1].question, waiting or exchanges[-1].answer)
        return exchanges

    def list_approvals(
        self, ctx: Context, *, status: ApprovalStatus | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Approval], int]:
        """Requests for the owner (every one of the business) or the requester's own."""
        with self._transaction(ctx) as session:
            return approvals.list_approvals(session, ctx, status=status, limit=limit, offset=offset)

    def get_approval(self, ctx: Context, approval_id: uuid.UUID) -> Approval:
        """One request, with its outcome once decided."""
        with self._transaction(ctx) as session:
            return approvals.get_approval(session, ctx, approval_id)

    def decide(self, ctx: Context, approval_id: uuid.UUID, *, approve: bool) -> Decision:
        """The owner's decision, committed (and the action run) before the requester's conversation,
        if one waits, is resumed with it; the Decision says what to tell whom."""
        with self._transaction(ctx) as session:
            approval = approvals.decide(session, ctx, approval_id, approve=approve)
            requester = approvals.requester(approval)
        notify = Recipient(
            requester.channel, requester.client_id, requester.user_id, requester.customer_id, approval.thread_id
        )
        if not approval.thread_id:
            return Decision(approval, "", notify)
        env = self._env(requester)
        graph = self.graphs.get(env, self.model, self.checkpointer)
        with self.locks.hold(approval.thread_id):
            try:
                turn = resume_with_decision(
                    graph, approval.thread_id, approve, limits=self.limits, ledger=UsageLedger(env)
                )
            except LookupError:
                log.warning("approval %s decided, but its thread is no longer waiting", approval_id)
                return Decision(approval, "", notify)
        self._push(requester, approval, turn.reply)
        return Decision(approval, turn.reply, notify)

    def _push(self, requester: Context, approval: Approval, reply: str) -> None:
        """A WhatsApp customer is not waiting on a request: their reply goes out through the outbox
        (once per approval), without them writing again."""
        if requester.channel is not Channel.WHATSAPP or requester.customer_id is None or not reply:
            return
        with self._transaction(requester) as session:
            row = messaging.notify_customer(
                session, requester.client_id, requester.customer_id, f"approval:{approval.id}", reply, reply_to_own=True
            )
        if row is not None and self.outbox is not None:
            self.outbox(requester.client_id, row.id)
