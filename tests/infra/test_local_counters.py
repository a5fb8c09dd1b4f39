"""The in-process counters that stand in for Redis: fixed windows from the first hit, and forgetting."""

from __future__ import annotations

from infra.local_counters import LocalCounters


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hits_count_within_a_window_that_starts_at_the_first_hit_and_then_reset() -> None:
    clock = Clock()
    counters = LocalCounters(clock)
    assert counters.hit("k", 60) == (1, 60)
    clock.now += 59.5
    assert counters.hit("k", 60) == (2, 1)
    assert counters.get("k") == (2, 1)
    clock.now += 0.5
    assert counters.get("k") == (0, 0)
    assert counters.hit("k", 60) == (1, 60)


def test_delete_forgets_one_key_or_every_key_with_a_prefix() -> None:
    counters = LocalCounters(Clock())
    for key in ("lockout:a:owner", "lockout:a:owner|ip:1.2.3.4", "lockout:a:clerk"):
        counters.hit(key, 60)
    counters.delete("lockout:a:owner", prefix=True)
    assert [counters.get(key)[0] for key in ("lockout:a:owner", "lockout:a:owner|ip:1.2.3.4", "lockout:a:clerk")] == [
        0,
        0,
        1,
    ]
    counters.delete("lockout:a:clerk")
    assert counters.get("lockout:a:clerk") == (0, 0)
