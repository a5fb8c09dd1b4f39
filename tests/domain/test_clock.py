"""The settable clock: `clock_at` pins `utcnow` for a context (and threads started with a copy of
it), running forward from the pinned moment; outside it, the real time."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta

import pytest

from domain.models.base import clock_at, utcnow

MOMENT = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def test_utcnow_starts_at_the_pinned_moment_and_runs_forward() -> None:
    with clock_at(MOMENT):
        first, second = utcnow(), utcnow()
    assert MOMENT <= first <= second < MOMENT + timedelta(seconds=5)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_follows_copied_contexts_into_threads_only() -> None:
    seen: dict[str, datetime] = {}
    with clock_at(MOMENT):
        copied = contextvars.copy_context()
        worker = threading.Thread(target=lambda: copied.run(lambda: seen.setdefault("copied", utcnow())))
        bare = threading.Thread(target=lambda: seen.setdefault("bare", utcnow()))
        worker.start(), bare.start()
        worker.join(), bare.join()
    assert seen["copied"] - MOMENT < timedelta(seconds=5)
    assert seen["bare"] - MOMENT > timedelta(days=1)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), clock_at(datetime(2026, 11, 18)):  # noqa: DTZ001
        pass
