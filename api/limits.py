"""Fixed-window request rate limits in Redis, per IP and per client (login lockout: domain/auth.py).

They fail safe, not open: while Redis is down the API keeps serving and counts in this process
(`LocalCounters`, the same limits per process), logging a warning (docs/security.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
import redis.asyncio
import structlog
from redis.commands.core import AsyncScript

from domain.errors import RateLimited
from infra.local_counters import LocalCounters
from infra.redis_client import COUNT_HITS_SCRIPT, count_hits

log = structlog.get_logger(__name__)

WINDOW_S = 60


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


class RequestLimiter:
    """Per-IP and per-client request quotas, counted in Redis from the event loop (redis.asyncio).

    After a Redis error the requests are counted in this process (`local`) for `pause_s` (one
    warning each time), so a dead or unreachable Redis costs requests neither their limits, nor
    errors, nor a connect timeout each.
    """

    def __init__(self, per_ip: int, per_client: int, *, window_s: int = WINDOW_S, pause_s: float = 5.0) -> None:
        self.per_ip, self.per_client, self.window_s, self.pause_s = per_ip, per_client, window_s, pause_s
        self._redis: redis.asyncio.Redis | None = None
        self._count_hits: AsyncScript | None = None
        self._paused_until = 0.0
        self.local = LocalCounters()

    def connect(self, url: str) -> None:
        """Use the Redis at `url` (connects lazily; short timeouts, since limits must not slow requests)."""
        self._redis = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._count_hits = self._redis.register_script(COUNT_HITS_SCRIPT)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = self._count_hits = None

    def quotas(self, ip: str, client: str | None) -> list[Quota]:
        """The quotas a request from `ip` (acting for `client`, when authenticated) counts against."""
        quotas = [Quota(f"rl:ip:{ip}", self.per_ip, f"requests from {ip}")]
        if client is not None:
            quotas.append(Quota(f"rl:client:{client}", self.per_client, "requests for this account"))
        return quotas

    async def check(self, ip: str, client: str | None) -> None:
        """Count the request; raise RateLimited (the longest wait) if it is over any quota."""
        if self._count_hits is None:
            raise RuntimeError("RequestLimiter.connect() was not called (the app's lifespan did not run)")
        quotas = self.quotas(ip, client)
        counts: list[tuple[int, int]] | None = None
        if time.monotonic() >= self._paused_until:
            try:
                counts = await self._count_hits(keys=[q.key for q in quotas], args=[self.window_s])
            except redis.RedisError as exc:
                self._paused_until = time.monotonic() + self.pause_s
                _redis_unavailable(exc, "requests per IP and per client")
        if counts is None:
            counts = [self.local.hit(q.key, self.window_s) for q in quotas]
        over = [(int(ttl), q.what) for q, (hits, ttl) in zip(quotas, counts, strict=True) if int(hits) > q.limit]
        if over:
            retry_after, what = max(over)
            raise RateLimited(f"too many {what}; retry in {retry_after} s", retry_after=retry_after)
