"""The Redis client (work queue, dedupe hints, rate limits, lockout counters)."""

from __future__ import annotations

import redis

from infra.settings import ConfigError


def make_redis(url: str) -> redis.Redis:
    """A client for `url` (redis://, rediss:// or unix://), strings decoded."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)


def check_redis(client: redis.Redis) -> None:
    """Raise ConfigError with one readable line when Redis does not answer PING."""
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis: {exc}; check REDIS_URL") from None


# Add ARGV[i + 1] hits (1 when not given) to each KEYS[i]; a key without an expiry (new, or left
# behind by a crash) gets one of ARGV[1] seconds. Atomic, one round trip.
COUNT_HITS_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local hits = redis.call('INCRBY', key, ARGV[i + 1] or 1)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  counts[i] = {hits, ttl}
end
return counts
"""


def count_hits(client: redis.Redis, keys: list[str], window_s: int) -> list[tuple[int, int]]:
    """Count one hit on each key; return (hits in its window, seconds until the window resets) per key."""
    counts = client.register_script(COUNT_HITS_SCRIPT)(keys=keys, args=[window_s])
    return [(int(hits), int(ttl)) for hits, ttl in counts]
