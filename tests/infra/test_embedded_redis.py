"""The embedded Redis: a server left running by a killed run is shut down, not orphaned."""

from __future__ import annotations

from pathlib import Path

import redis

from infra.embedded import start_redis, stop_redis


def test_a_redis_left_by_a_killed_run_is_shut_down_by_the_next_and_its_data_kept(tmp_path: Path) -> None:
    url, leftover = start_redis(tmp_path / "redis")  # its run was killed: nobody stops it
    try:
        redis.Redis.from_url(url).set("inbox:wamid.1", "kept")
        url, process = start_redis(tmp_path / "redis")
        try:
            assert leftover.wait(timeout=10) == 0
            assert redis.Redis.from_url(url).get("inbox:wamid.1") == b"kept"
        finally:
            stop_redis(process)
    finally:
        stop_redis(leftover)


def test_a_stale_socket_file_alone_is_no_obstacle(tmp_path: Path) -> None:
    _, process = start_redis(tmp_path / "redis")
    process.kill()  # its socket file stays behind
    process.wait()
    url, process = start_redis(tmp_path / "redis")
    try:
        assert redis.Redis.from_url(url).ping()
    finally:
        stop_redis(process)
