"""The Redis client (work queue, dedupe hints, rate limits, lockout counters)."""

from __future__ import annotations

import redis


def make_redis(url: str) -> redis.Redis:
    """A client for `url` (redis://, rediss:// or unix://), strings decoded."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
