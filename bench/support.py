"""Shared bench setup: a throwaway embedded PostgreSQL, migrated, with the application role; a lean
HTTP/1.1 keep-alive client for load generators."""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph.memory import setup_checkpoint_tables
from infra.db import app_role_password, app_url, make_engine
from infra.embedded import start_postgres
from infra.migrate import upgrade

APP_ROLE = "easy_ecom_app"
SECRET = "bench-secret-key-that-is-long-enough-for-anything"


@dataclass(frozen=True)
class BenchDatabase:
    """URLs of a migrated bench database: the owner's and the application role's."""

    owner_url: str
    app_url: str


@contextmanager
def bench_database() -> Iterator[BenchDatabase]:
    """Start PostgreSQL in a temp dir, migrate (schema + checkpoints), stop and delete it after."""
    with tempfile.TemporaryDirectory(prefix="easy-ecom-bench-") as tmp:
        owner_url, server = start_postgres(Path(tmp) / "pg")
        try:
            engine = make_engine(owner_url)
            upgrade(engine, APP_ROLE, app_role_password(SECRET, APP_ROLE))
            engine.dispose()
            setup_checkpoint_tables(owner_url)
            yield BenchDatabase(owner_url, app_url(owner_url, APP_ROLE, app_role_password(SECRET, APP_ROLE)))
        finally:
            server.cleanup()


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def http_request(host: str, method: str, path: str, headers: str, body: bytes) -> bytes:
    """One HTTP/1.1 request as bytes, to build before the clock starts (`headers`: lines ending in CRLF)."""
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body


class KeepAlive:
    """One HTTP/1.1 keep-alive connection, as lean as a load generator on the server's own cores
    must be (httpx spent ≈ 2.7 ms of CPU a request there, more than half of what the server spent):
    it sends prepared request bytes and reads only the status line, the headers and Content-Length
    bytes of body. A reused connection the server closed while idle (its keep-alive ran out) is
    reopened once, as HTTP clients do."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def connect(self) -> KeepAlive:
        """Open the connection now (before the clock starts), not at the first request."""
        self.streams = await asyncio.open_connection(self.host, self.port)
        return self

    async def send(self, request: bytes) -> int:
        """Send one request; return the answer's status."""
        if self.streams is not None and self.streams[0].at_eof():
            self.close()
        reused = self.streams is not None
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        try:
            return await self._exchange(request)
        except (ConnectionResetError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
        self.streams = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(request)

    async def _exchange(self, request: bytes) -> int:
        assert self.streams is not None
        reader, writer = self.streams
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length, closing = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                closing = value.strip().lower() == b"close"
        await reader.readexactly(length)
        if closing:
            self.close()
        return int(head[9:12])

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None
