"""Fixed-window counters in Redis: rate limits and login lockout."""

from __future__ import annotations

import redis

from domain.errors import DomainError


class RateLimited(DomainError):
    """Too many requests; `retry_after` seconds until the window resets."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


def count_hit(client: redis.Redis, key: str, window_s: int) -> tuple[int, int]:
    """Count one hit in the window of `key`; return (hits so far, seconds until the window resets)."""
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.ttl(key)
    hits, ttl = pipe.execute()
    if ttl < 0:
        client.expire(key, window_s)
        ttl = window_s
    return int(hits), int(ttl)


def enforce(client: redis.Redis, key: str, limit: int, window_s: int, what: str) -> None:
    """Raise RateLimited once `key` has more than `limit` hits in its window."""
    hits, ttl = count_hit(client, key, window_s)
    if hits > limit:
        raise RateLimited(f"too many {what}; retry in {ttl} s", retry_after=ttl)


class LoginLockout:
    """Locks a username (per client) after repeated failures, for a cool-down."""

    def __init__(self, client: redis.Redis, max_failures: int = 5, window_s: int = 15 * 60) -> None:
        self.client, self.max_failures, self.window_s = client, max_failures, window_s

    @staticmethod
    def _key(client_id: str | None, username: str) -> str:
        return f"lockout:{client_id or '-'}:{username.lower()}"

    def check(self, client_id: str | None, username: str) -> None:
        """Raise RateLimited while the account is locked."""
        key = self._key(client_id, username)
        failures = int(self.client.get(key) or 0)
        if failures >= self.max_failures:
            retry = max(int(self.client.ttl(key)), 1)
            raise RateLimited(f"too many failed logins for {username!r}; try again in {retry} s", retry_after=retry)

    def failed(self, client_id: str | None, username: str) -> None:
        """Count a failure."""
        count_hit(self.client, self._key(client_id, username), self.window_s)

    def succeeded(self, client_id: str | None, username: str) -> None:
        """Forget earlier failures."""
        self.client.delete(self._key(client_id, username))
