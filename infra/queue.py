"""Work queues on Redis Streams with consumer groups. Redis may lose them: every entry names a
durable row, and the rows are the truth (a sweeper re-enqueues what is not done)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis
import structlog

GROUP = "workers"
WHATSAPP_INBOX = "wa:inbox"
"""Inbound WhatsApp messages to answer: fields client_id and id (a whatsapp_inbox row)."""
WHATSAPP_OUTBOX = "wa:outbox"
"""Messages of ours to send: fields client_id and id (a whatsapp_outbound row)."""

log = structlog.get_logger(__name__)
MAX_LENGTH = 100_000
"""Entries kept per stream (approximate trim): a backlog past this is rebuilt from the database."""


@dataclass(frozen=True)
class Entry:
    """One queued job: its stream, its id in the stream, and its fields."""

    stream: str
    id: str
    fields: dict[str, str]


def ensure_group(client: redis.Redis, stream: str) -> None:
    """Create the consumer group (and the stream) unless it exists."""
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _entries(stream: str, raw: list[tuple[str, dict[str, str] | None]]) -> list[Entry]:
    return [Entry(stream, entry_id, fields) for entry_id, fields in raw if fields is not None]


def read_new(client: redis.Redis, streams: list[str], consumer: str, count: int, block_ms: int) -> list[Entry]:
    """Entries never delivered to the group, waiting up to `block_ms` for one."""
    answer = client.xreadgroup(GROUP, consumer, dict.fromkeys(streams, ">"), count=count, block=block_ms)
    return [entry for stream, raw in answer or [] for entry in _entries(stream, raw)]


def claim_idle(client: redis.Redis, stream: str, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
    """Take over entries another consumer received but did not acknowledge for `min_idle_ms`
    (it died or hangs): XAUTOCLAIM."""
    _, raw, *_ = client.xautoclaim(stream, GROUP, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count)
    return _entries(stream, raw)


def acknowledge(client: redis.Redis, entry: Entry) -> None:
    """Done with `entry`: drop it from the group's pending list and from the stream."""
    client.xack(entry.stream, GROUP, entry.id)
    client.xdel(entry.stream, entry.id)


def enqueue_rows(client: redis.Redis, stream: str, rows: list[tuple[str, uuid.UUID]]) -> bool:
    """Queue durable rows (client id, row id) in one round trip (a pipeline); False (logged) while
    Redis is unavailable: they wait in the database for a sweeper."""
    if not rows:
        return True
    try:
        with client.pipeline(transaction=False) as pipe:
            for client_id, row_id in rows:
                pipe.xadd(stream, {"client_id": client_id, "id": str(row_id)}, maxlen=MAX_LENGTH, approximate=True)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("Redis unavailable: stored rows wait for the sweeper", stream=stream, error=str(exc))
        return False
    return True


def row_of(entry: Entry) -> tuple[str, uuid.UUID]:
    """The (client id, row id) a queued entry names."""
    return entry.fields["client_id"], uuid.UUID(entry.fields["id"])
