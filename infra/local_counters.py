"""Fixed-window hit counters in this process: what rate limits and the login lockout count while
Redis is down (per process, so each API worker counts on its own)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_KEYS = 100_000
"""Past this many live keys the expired ones are dropped; if none are, the oldest window goes."""


class LocalCounters:
    """Hits per key in windows that start with a key's first hit, like the Redis counters."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (hits, window end)
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        window = self._windows.get(key)
        if window is not None and window[1] <= now:
            del self._windows[key]
            return None
        return window

    def _make_room(self, now: float) -> None:
        if len(self._windows) < MAX_KEYS:
            return
        for key in [key for key, (_, end) in self._windows.items() if end <= now]:
            del self._windows[key]
        if len(self._windows) >= MAX_KEYS:
            del self._windows[min(self._windows, key=lambda key: self._windows[key][1])]

    def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit; return (hits in the window, seconds until it resets)."""
        with self._lock:
            now = self._clock()
            window = self._live(key, now)
            if window is None:
                self._make_room(now)
                window = (0, now + window_s)
            hits, end = window[0] + 1, window[1]
            self._windows[key] = (hits, end)
            return hits, max(math.ceil(end - now), 1)

    def get(self, key: str) -> tuple[int, int]:
        """(hits in the key's current window, seconds until it resets); (0, 0) without one."""
        with self._lock:
            now = self._clock()
            window = self._live(key, now)
            return (0, 0) if window is None else (window[0], max(math.ceil(window[1] - now), 1))

    def delete(self, key: str, *, prefix: bool = False) -> None:
        """Forget `key` (every key starting with it, with `prefix`)."""
        with self._lock:
            for found in [k for k in self._windows if k.startswith(key)] if prefix else [key]:
                self._windows.pop(found, None)
