"""Fixed-window request rate limits in Redis, per IP and per client (login lockout: domain/auth.py).

A request is counted in the process that serves it, and each process adds its counts to Redis's
at most every SYNC_INTERVAL_S (one round trip for all its keys), so the limits hold across API
processes without a Redis call per request (docs/security.md). They fail safe, not open: while
Redis is down each process goes on counting its own requests against the same limits, logging a
warning.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import redis.asyncio
import structlog
from redis.commands.core import AsyncScript

from domain.errors import RateLimited
from infra.local_counters import MAX_KEYS, LocalCounters
from infra.redis_client import COUNT_HITS_SCRIPT, count_hits

log = structlog.get_logger(__name__)

WINDOW_S = 60
SYNC_INTERVAL_S = 0.1


def _redis_unavailable(exc: redis.RedisError, what: str) -> None:
    log.warning("rate limit counted in this process: Redis unavailable", limit=what, error=str(exc))


def enforce(client: redis.Redis, local: LocalCounters, key: str, limit: int, window_s: int, what: str) -> None:
    """Raise RateLimited once `key` has more than `limit` hits in its window (counted in `local`
    while Redis is down)."""
    try:
        [(hits, ttl)] = count_hits(client, [key], window_s)
    except redis.RedisError as exc:
        _redis_unavailable(exc, what)
        hits, ttl = local.hit(key, window_s)
    if hits > limit:
        raise RateLimited(f"too many {what}; retry in {ttl} s", retry_after=ttl)


@dataclass(frozen=True)
class Quota:
    """At most `limit` hits on `key` per window; `what` names them in the 429's detail."""

    key: str
    limit: int
    what: str


@dataclass
class Window:
    """One key's window as this process sees it: every process's hits as of the last sync, this
    process's hits not yet added in Redis, and when the window ends (this process's clock)."""

    ends_at: float
    synced: int = 0
    pending: int = 0

    @property
    def hits(self) -> int:
        return self.synced + self.pending

    def retry_after(self, now: float) -> int:
        return max(math.ceil(self.ends_at - now), 1)


class RequestLimiter:
    """Per-IP and per-client request quotas, counted in this process and summed in Redis.

    `check` decides from what this process knows (no I/O); `sync`, scheduled at most every
    `sync_s` while there are new hits, adds them to Redis's counts and reads back every process's
    totals. So one process is exact, and N processes together can admit at most what the others
    counted in their last `sync_s` over a limit. After a Redis error, Redis is left alone for
    `pause_s` (one warning each time) and the hits wait in this process, still counted.
    """

    def __init__(
        self,
        per_ip: int,
        per_client: int,
        *,
        window_s: int = WINDOW_S,
        sync_s: float = SYNC_INTERVAL_S,
        pause_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_ip, self.per_client, self.window_s = per_ip, per_client, window_s
        self.sync_s, self.pause_s, self._clock = sync_s, pause_s, clock
        self._redis: redis.asyncio.Redis | None = None
        self._count_hits: AsyncScript | None = None
        self._windows: dict[str, Window] = {}
        self._unsynced: dict[str, Window] = {}  # the windows with pending hits
        self._sync_scheduled = False
        self._syncing: asyncio.Task[None] | None = None
        self._last_sync = self._paused_until = -math.inf

    def connect(self, url: str) -> None:
        """Use the Redis at `url` (connects lazily; short timeouts, since limits must not slow requests)."""
        self._redis = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._count_hits = self._redis.register_script(COUNT_HITS_SCRIPT)

    async def close(self) -> None:
        """Add the last hits to Redis and close the connection pool."""
        if self._syncing is not None:
            await self._syncing
        await self.sync()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = self._count_hits = None

    def quotas(self, ip: str, client: str | None) -> list[Quota]:
        """The quotas a request from `ip` (acting for `client`, when authenticated) counts against."""
        quotas = [Quota(f"rl:ip:{ip}", self.per_ip, f"requests from {ip}")]
        if client is not None:
            quotas.append(Quota(f"rl:client:{client}", self.per_client, "requests for this account"))
        return quotas

    def check(self, ip: str, client: str | None) -> None:
        """Count the request; raise RateLimited (the longest wait) if it is over any quota."""
        if self._count_hits is None:
            raise RuntimeError("RequestLimiter.connect() was not called (the app's lifespan did not run)")
        now = self._clock()
        over: list[tuple[int, str]] = []
        for quota in self.quotas(ip, client):
            window = self._window(quota.key, now)
            window.pending += 1
            self._unsynced[quota.key] = window
            if window.hits > quota.limit:
                over.append((window.retry_after(now), quota.what))
        self._schedule_sync(now)
        if over:
            retry_after, what = max(over)
            raise RateLimited(f"too many {what}; retry in {retry_after} s", retry_after=retry_after)

    def _window(self, key: str, now: float) -> Window:
        window = self._windows.get(key)
        if window is None or window.ends_at <= now:
            if len(self._windows) >= MAX_KEYS:
                self._forget_ended(now)
            window = self._windows[key] = Window(now + self.window_s)
            self._unsynced.pop(key, None)  # the ended window's hits belong to it
        return window

    def _forget_ended(self, now: float) -> None:
        for key in [key for key, window in self._windows.items() if window.ends_at <= now]:
            del self._windows[key]
        if len(self._windows) >= MAX_KEYS:  # none ended: the one ending first goes
            del self._windows[min(self._windows, key=lambda key: self._windows[key].ends_at)]

    def _schedule_sync(self, now: float) -> None:
        if self._sync_scheduled:
            return
        self._sync_scheduled = True
        delay = max(self._last_sync + self.sync_s - now, 0.0)
        asyncio.get_running_loop().call_later(delay, self._start_sync)

    def _start_sync(self) -> None:
        self._sync_scheduled = False
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.ensure_future(self.sync())
        else:  # the last one is still waiting for Redis: try again after it
            self._schedule_sync(self._clock())

    async def sync(self) -> None:
        """Add this process's new hits to Redis and take every process's totals and windows."""
        now = self._last_sync = self._clock()
        if self._count_hits is None or not self._unsynced or now < self._paused_until:
            return
        batch = [(key, window, window.pending) for key, window in self._unsynced.items()]
        self._unsynced = {}
        try:
            counts = await self._count_hits(
                keys=[key for key, _, _ in batch], args=[self.window_s, *(sent for _, _, sent in batch)]
            )
        except redis.RedisError as exc:
            self._paused_until = self._clock() + self.pause_s
            _redis_unavailable(exc, "requests per IP and per client")
            for key, window, _ in batch:  # still counted here; added when Redis answers again
                if self._windows.get(key) is window:
                    self._unsynced[key] = window
            return
        now = self._clock()
        for (key, window, sent), (total, ttl) in zip(batch, counts, strict=True):
            if self._windows.get(key) is window:
                window.pending -= sent
                window.synced, window.ends_at = int(total), now + int(ttl)
