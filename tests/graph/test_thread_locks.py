"""One turn at a time per conversation thread, in a process and across processes (Redis)."""

from __future__ import annotations

import threading
import time

import redis

from graph.conversations import ThreadLocks


def test_a_second_turn_on_the_same_thread_waits_for_the_first(redis_client: redis.Redis) -> None:
    here, elsewhere = ThreadLocks(redis_client), ThreadLocks(redis_client)  # two processes' worth
    events: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with here.hold("rest:shop:user:t-1"):
            first_in.set()
            time.sleep(0.3)
            events.append("first done")

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(5)
    with elsewhere.hold("rest:shop:user:t-1"):
        events.append("second in")
    with elsewhere.hold("rest:shop:user:t-2"):  # another thread does not wait
        events.append("other thread")
    worker.join()
    assert events == ["first done", "second in", "other thread"]


def test_without_redis_the_lock_still_holds_in_the_process() -> None:
    gone = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.2)
    locks = ThreadLocks(gone)
    order: list[int] = []
    inside = threading.Event()

    def hold() -> None:
        with locks.hold("t"):
            inside.set()
            time.sleep(0.2)
            order.append(1)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with locks.hold("t"):
        order.append(2)
    worker.join()
    assert order == [1, 2]
