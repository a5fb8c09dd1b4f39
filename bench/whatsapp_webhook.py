"""WhatsApp webhook acknowledgement: latency p50/p99 of POST /api/v1/chat/webhook at a fixed
arrival rate (open loop), and the number of messages acknowledged (200) but not in the inbox.

Meta sizes one number at 80 messages/s and asks webhooks to take 3× outbound (statuses) + 1×
inbound: 320 deliveries/s. This starts, in a temp DATA_DIR, an embedded PostgreSQL (migrated) and
Redis, one shop owning the number, and `easy-ecom api` on 127.0.0.1 (API_WORKERS as set, else the
CPU count). It then sends one signed text-message delivery (a fresh wamid each) every 1/rate s for
the duration, on schedule whatever the answers (open loop: latency is measured from the scheduled
send time, so a slow server cannot slow the sender down and hide its own queueing). In-flight
requests are capped (--max-in-flight); a request that finds the cap full counts as refused by the
client. No worker runs, so every message stays in the inbox to be counted.

The client shares the machine's cores with the server, so it is kept cheap: every request is
signed and encoded before the clock starts and written as raw bytes on keep-alive connections
(asyncio streams on uvloop, no HTTP library); it reads only the status line, the headers and
Content-Length bytes of each answer.

Run:  .venv/bin/python -m bench.whatsapp_webhook [--rate 320] [--seconds 60]
It stops everything it started and deletes the temp dir. Baseline: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text

from bench.rest_load import api_server
from bench.support import KeepAlive, bench_database, http_request, percentile
from domain import tenancy
from infra.db import make_engine, make_session_factory, transaction
from infra.embedded import start_redis, stop_redis
from infra.whatsapp import sign

SHOP, NUMBER, APP_SECRET = "bench_whatsapp", "106540352242922", "bench-app-secret"
WEBHOOK = "/api/v1/chat/webhook"
TARGET_P99_MS = 100.0
WARM_CONNECTIONS = 32
"""Connections opened before the clock starts (more are opened when needed, inside the clock)."""
REQUEST_TIMEOUT_S = 30.0


def delivery(i: int) -> tuple[str, bytes]:
    """A signed one-message delivery with wamid number `i`: (wamid, raw body)."""
    wamid = f"wamid.bench.{i:08d}"
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
                            "contacts": [{"profile": {"name": "Bench"}, "wa_id": f"1650555{i % 10000:04d}"}],
                            "messages": [
                                {
                                    "from": f"1650555{i % 10000:04d}",
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": "do you have linen shirts?"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return wamid, json.dumps(body).encode()


async def open_loop(
    host: str, port: int, rate: float, seconds: float, max_in_flight: int
) -> tuple[list[float], Counter, set[str]]:
    """Send rate × seconds deliveries on schedule over at most `max_in_flight` keep-alive
    connections; return latencies (ms) of the 200s, status counts and the acknowledged wamids.

    The client is kept cheap, since it shares the cores with the server: requests are signed and
    encoded before the clock starts, and sent on raw asyncio connections (no HTTP library)."""
    total = int(rate * seconds)
    headers = "Content-Type: application/json\r\nX-Hub-Signature-256: {}\r\n"
    requests = [
        (wamid, http_request(f"{host}:{port}", "POST", WEBHOOK, headers.format(sign(APP_SECRET, raw)), raw))
        for wamid, raw in map(delivery, range(total))
    ]
    latencies: list[float] = []
    statuses: Counter = Counter()
    acknowledged: set[str] = set()
    idle = [await KeepAlive(host, port).connect() for _ in range(min(WARM_CONNECTIONS, max_in_flight))]
    in_flight = 0

    async def exchange(request: bytes) -> tuple[KeepAlive, int]:
        """Send on an idle connection, or a new one (KeepAlive reopens one the server closed)."""
        connection = idle.pop() if idle else KeepAlive(host, port)
        try:
            return connection, await connection.send(request)
        except BaseException:
            connection.close()
            raise

    async def send(wamid: str, request: bytes, due: float) -> None:
        nonlocal in_flight
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                connection, status = await exchange(request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
            statuses[type(exc).__name__] += 1
            return
        finally:
            in_flight -= 1
        idle.append(connection)
        statuses[status] += 1
        if status == 200:
            latencies.append((time.perf_counter() - due) * 1000)
            acknowledged.add(wamid)

    tasks = []
    start = time.perf_counter()
    for i, (wamid, request) in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= max_in_flight:
            statuses["refused by the client (in-flight cap)"] += 1
            continue
        in_flight += 1
        tasks.append(asyncio.create_task(send(wamid, request, due)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return latencies, statuses, acknowledged


def run_client(host: str, port: int, rate: float, seconds: float, max_in_flight: int) -> tuple:
    """The open loop on uvloop when it is installed (cheaper per request), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(open_loop(host, port, rate, seconds, max_in_flight))
    return uvloop.run(open_loop(host, port, rate, seconds, max_in_flight))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=320.0, help="deliveries per second (at most 2000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (at most 600)")
    parser.add_argument("--max-in-flight", type=int, default=256)
    args = parser.parse_args()
    if not (1 <= args.rate <= 2000 and 1 <= args.seconds <= 600 and 1 <= args.max_in_flight <= 1024):
        parser.error("keep it bounded: rate 1..2000/s, 1..600 s, 1..1024 in flight")
    with bench_database() as db, tempfile.TemporaryDirectory(prefix="easy-ecom-wa-bench-") as tmp:
        redis_url, redis_process = start_redis(Path(tmp) / "redis")
        owner = make_engine(db.owner_url)
        try:
            with transaction(make_session_factory(make_engine(db.app_url))) as session:
                tenancy.create_client(session, SHOP, "Bench WhatsApp", whatsapp_phone_number_id=NUMBER)
            env = {"WHATSAPP_APP_SECRET": APP_SECRET}
            with api_server(db.owner_url, redis_url, Path(tmp), env) as base:
                load_before = os.getloadavg()
                url = urlsplit(base)
                latencies, statuses, acknowledged = run_client(
                    url.hostname, url.port, args.rate, args.seconds, args.max_in_flight
                )
                load_after = os.getloadavg()
            with owner.connect() as connection:
                stored = set(connection.execute(text("SELECT wamid FROM whatsapp_inbox")).scalars())
        finally:
            owner.dispose()
            stop_redis(redis_process)
    sent = int(args.rate * args.seconds)
    missing = acknowledged - stored
    print(
        f"open loop: {args.rate:.0f} deliveries/s for {args.seconds:.0f} s = {sent} signed one-message deliveries, "
        f"loopback, API_WORKERS={os.environ.get('API_WORKERS', os.cpu_count())}, {os.cpu_count()} CPUs"
    )
    print(f"load average (1 min) {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end")
    print(f"answers: {dict(statuses)}")
    if latencies:
        p50, p99, worst = percentile(latencies, 50), percentile(latencies, 99), max(latencies)
        over_1s = sum(1 for ms in latencies if ms > 1000) / len(latencies) * 100
        print(
            f"ack latency (from the scheduled send): p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f}), max {worst:.1f} ms, over 1 s {over_1s:.2f} %"
        )
    print(
        f"acknowledged {len(acknowledged)}, stored {len(stored)}, "
        f"acknowledged but not stored: {len(missing)} (must be 0)"
    )


if __name__ == "__main__":
    main()
