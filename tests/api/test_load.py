"""Under load nothing stalls or half-commits (a real uvicorn server on loopback, real PostgreSQL and
Redis): past the admission limit the answer is an immediate 503 with Retry-After, /health answers
throughout, stock is never oversold, and a retried order with its Idempotency-Key gets the first."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from api.launcher import ensure_port_free
from api.main import create_app
from bench.rest_load import connections_per_worker
from domain import journal
from domain.context import Context
from domain.models import Channel, Order, Role, StockMovement, Variant
from graph.memory import setup_checkpoint_tables
from infra.db import app_role_password, app_url, connect_app_engine, make_engine, make_session_factory, transaction
from infra.embedded import start_postgres
from infra.migrate import upgrade
from infra.settings import Settings
from tests.api.conftest import Shop, cli_env, committed_shop
from tests.conftest import APP_ROLE, TEST_SECRET

V1 = "/api/v1"


@contextmanager
def api_command(
    settings: Settings, workers: int = 1, stdout: IO[bytes] | int = subprocess.DEVNULL, **overrides: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`easy-ecom api` (`workers` worker processes) on a free loopback port, once ready: its base
    URL and its process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = cli_env(
        DATABASE_URL=str(settings.DATABASE_URL),
        REDIS_URL=str(settings.REDIS_URL),
        SECRET_KEY=TEST_SECRET,
        DATA_DIR=str(settings.DATA_DIR),
        API_PORT=str(port),
        RATE_LIMIT_PER_IP_PER_MINUTE="100000",
        RATE_LIMIT_PER_CLIENT_PER_MINUTE="100000",
        **overrides,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "api", "--workers", str(workers)], env=env, stdout=stdout
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def live_server(settings: Settings, workers: int = 1, **overrides: str) -> Iterator[str]:
    """`easy-ecom api` on a free loopback port; its base URL."""
    with api_command(settings, workers, **overrides) as (base, _):
        yield base


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the API exited"
        assert time.monotonic() < deadline, "the API did not start"
        with suppress(httpx.TransportError):
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.2)


def children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_a_killed_api_worker_is_restarted_while_the_other_answers(settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "api.out"
    with log.open("wb") as out, api_command(settings, workers=2, stdout=out) as (base, api):
        workers = children(api.pid)
        assert len(workers) == 2
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        while alive(killed):  # its socket closes as it exits
            time.sleep(0.01)
        # during the 1 s back-off every new connection reaches the other worker's socket
        during = [httpx.get(f"{base}/health", timeout=2).status_code for _ in range(20)]
        deadline = time.monotonic() + 30
        while len(children(api.pid) - {killed}) < 2:
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        replaced = children(api.pid) - workers
        # once the new worker listens it takes its share of a burst's connections
        while min(spread := asyncio.run(burst_spread(base))) < 16 or len(spread) < 2:
            assert time.monotonic() < deadline, f"the new worker takes no share of the connections: {spread}"
            time.sleep(0.2)
    assert during == [200] * 20
    assert len(replaced) == 1
    assert re.search(r"API worker \d exited with code -9; restarting in 1 s", log.read_text())


def test_each_api_worker_listens_on_its_own_socket_so_connections_spread_over_the_workers(
    settings: Settings,
) -> None:
    """With one shared socket, the worker that woke first accepted every waiting connection (a
    burst of keep-alive connections split 15 / 1); with a socket per worker (SO_REUSEPORT) the
    kernel spreads them."""
    with live_server(settings, workers=2) as base:
        spread = asyncio.run(burst_spread(base))
    assert len(spread) == 2
    assert sum(spread) == 64
    assert min(spread) >= 16  # binomial(64, ½): below 16 once in ≈ 30,000 starts


async def burst_spread(base: str) -> list[int]:
    """How many of 64 keep-alive connections opened at once (as a client's pool does), each asking
    once, each worker process holds."""
    port = httpx.URL(base).port
    assert port is not None
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(64)))
    try:
        for _, writer in opened:
            writer.write(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        for reader, _ in opened:
            assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        return [int(count) for count in connections_per_worker(base).split(" / ")]
    finally:
        for _, writer in opened:
            writer.close()


def test_the_workers_of_a_killed_api_end_with_it_and_free_the_port(settings: Settings) -> None:
    """Killed without its `finally` (SIGKILL), the API's supervisor cannot stop its workers; the
    kernel ends them instead, so no orphan keeps the port and a restarted API can listen again."""
    with api_command(settings, workers=2) as (base, api):
        workers = children(api.pid)
        assert len(workers) == 2
        os.kill(api.pid, signal.SIGKILL)
        api.wait(timeout=5)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers):
            if time.monotonic() > deadline:
                for pid in workers:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)  # not to leave them serving after the test
                pytest.fail("a worker outlived its supervisor")
            time.sleep(0.1)
    port = httpx.URL(base).port
    assert port is not None
    ensure_port_free("127.0.0.1", port)  # raises ConfigError while anything listens there


def test_a_closed_terminal_stops_the_api_and_its_workers_cleanly(settings: Settings) -> None:
    with api_command(settings, workers=2) as (_, api):
        workers = children(api.pid)
        api.send_signal(signal.SIGHUP)  # what a closing terminal sends
        assert api.wait(timeout=30) == 0  # stopped through its `finally`, as on Ctrl-C (not killed: -1)
    assert not any(alive(pid) for pid in workers)


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (exited but not yet reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def loaded(settings: Settings, **overrides: object) -> Settings:
    return settings.model_copy(
        update={"RATE_LIMIT_PER_IP_PER_MINUTE": 100_000, "RATE_LIMIT_PER_CLIENT_PER_MINUTE": 100_000, **overrides}
    )


def new_product(client: httpx.Client, shop: Shop, sku: str, stock: int) -> str:
    body = {"name": sku.title(), "variants": [{"sku": sku, "price": "10.00"}]}
    variant_id = client.post(f"{V1}/products", json=body, headers=shop.owner).json()["variants"][0]["id"]
    receipt = {"variant_id": variant_id, "type": "receipt", "quantity": stock, "unit_cost": "4.00"}
    assert client.post(f"{V1}/inventory/adjustments", json=receipt, headers=shop.owner).status_code == 201
    return variant_id


def test_200_concurrent_reads_answer_200_or_503_fast_and_health_answers_throughout(
    settings: Settings, shop: Shop
) -> None:
    async def storm(base: str) -> tuple[Counter[int], float, list[float], bool]:
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
            health: list[float] = []
            done = asyncio.Event()

            async def probe() -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    assert (await client.get("/health")).status_code == 200
                    health.append(time.perf_counter() - started)
                    await asyncio.sleep(0.05)

            async def read() -> httpx.Response:
                return await client.get(f"{V1}/products", headers=shop.staff)

            prober = asyncio.create_task(probe())
            started = time.perf_counter()
            responses = await asyncio.gather(*(read() for _ in range(200)))
            elapsed = time.perf_counter() - started
            done.set()
            await prober
            busy_have_retry_after = all(r.headers.get("Retry-After") for r in responses if r.status_code == 503)
            return Counter(r.status_code for r in responses), elapsed, health, busy_have_retry_after

    with live_server(settings) as base:
        statuses, elapsed, health, retry_after = asyncio.run(storm(base))
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] > 0
    assert retry_after
    assert elapsed < 10
    assert health
    assert max(health) < 5, health  # behind the storm in the event loop's queue, never stuck


def test_300_orders_at_128_in_flight_sell_exactly_the_stock(settings: Settings, shop: Shop, app_engine: Engine) -> None:
    async def storm(base: str, variant_id: str) -> Counter[int]:
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            gate = asyncio.Semaphore(128)

            async def order(n: int) -> int:
                body = {"lines": [{"variant_id": variant_id, "quantity": 1}]}
                async with gate:
                    response = await client.post(
                        f"{V1}/orders", json=body, headers=shop.staff | {"Idempotency-Key": f"storm-{n}"}
                    )
                return response.status_code

            return Counter(await asyncio.gather(*(order(n) for n in range(300))))

    with live_server(settings) as base:
        with httpx.Client(base_url=base) as client:
            variant_id = new_product(client, shop, "HOT-1", stock=50)
        statuses = asyncio.run(storm(base, variant_id))
    assert statuses[201] == 50, statuses
    assert set(statuses) <= {201, 409, 503}, statuses
    with transaction(make_session_factory(app_engine), shop.client_id) as session:
        variant = session.scalars(select(Variant).where(Variant.sku == "HOT-1")).one()
        moved = session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.variant_id == variant.id))
        orders = session.scalar(select(func.count(Order.id)).where(Order.client_id == shop.client_id))
        debits, credits = journal.totals(session, Context(shop.client_id, Role.OWNER, Channel.SYSTEM))
    assert (variant.on_hand, moved, orders) == (0, 0, 50)
    assert debits == credits


def test_an_order_whose_response_was_lost_is_returned_to_the_retry(settings: Settings, shop: Shop) -> None:
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        variant_id = new_product(client, shop, "LOST-1", stock=5)
        body = f'{{"lines": [{{"variant_id": "{variant_id}", "quantity": 1}}]}}'.encode()
        host, port = base.removeprefix("http://").split(":")
        headers = "".join(f"{k}: {v}\r\n" for k, v in (shop.staff | {"Idempotency-Key": "lost-1"}).items())
        request = (
            f"POST {V1}/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(request)  # and hang up before the answer: the client never learns the outcome
        time.sleep(1)
        retry = client.post(
            f"{V1}/orders",
            json={"lines": [{"variant_id": variant_id, "quantity": 1}]},
            headers=shop.staff | {"Idempotency-Key": "lost-1"},
        )
        listed = client.get(f"{V1}/orders", headers=shop.owner).json()
    assert retry.status_code == 201
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == retry.json()["id"]


def test_a_transaction_left_idle_is_cut_off_and_its_locks_released(settings: Settings, shop: Shop) -> None:
    quick = connect_app_engine(loaded(settings, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS=500))
    scope = text("SELECT set_config('app.client_id', :c, false)")
    lock = text("SELECT id FROM clients WHERE id = :c FOR UPDATE")
    try:
        forgotten = quick.connect()
        forgotten.execute(scope, {"c": shop.client_id})
        forgotten.execute(lock, {"c": shop.client_id})  # a transaction holding a row lock, then nothing
        time.sleep(1.5)
        with quick.connect() as other:
            other.execute(scope, {"c": shop.client_id})
            started = time.perf_counter()
            assert other.execute(lock, {"c": shop.client_id}).scalar_one() == shop.client_id
            assert time.perf_counter() - started < 1  # the lock was released when the idle one was cut off
            other.rollback()
        with pytest.raises(DBAPIError, match="idle-in-transaction timeout"):
            forgotten.execute(text("SELECT 1"))
        forgotten.invalidate()
    finally:
        quick.dispose()


def test_the_app_role_connections_carry_the_timeouts(settings: Settings) -> None:
    engine = connect_app_engine(settings)
    try:
        with engine.connect() as connection:
            shown = [
                connection.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
            ]
    finally:
        engine.dispose()
    assert shown == ["30s", "5s", "1min"]


def test_postgres_down_answers_503_with_retry_after_and_recovers_by_itself(settings: Settings, tmp_path) -> None:
    url, server = start_postgres(tmp_path / "pg")  # a server of this test's own, to stop and start
    owner = make_engine(url)
    upgrade(owner, APP_ROLE, app_role_password(TEST_SECRET, APP_ROLE))
    owner.dispose()
    setup_checkpoint_tables(url)
    own = settings.model_copy(update={"DATABASE_URL": url, "DB_POOL_TIMEOUT_S": 1.0})
    app_engine = make_engine(app_url(url, APP_ROLE, app_role_password(TEST_SECRET, APP_ROLE)))
    shop = committed_shop(app_engine, own)
    app_engine.dispose()
    try:
        with TestClient(create_app(own)) as client:
            assert client.get(f"{V1}/products", headers=shop.staff).status_code == 200
            server.cleanup()  # PostgreSQL stops
            down = client.get(f"{V1}/products", headers=shop.staff)
            assert (down.status_code, down.headers["Retry-After"]) == (503, "2")
            assert down.json()["type"] == "/problems/database_unavailable"
            assert client.get("/ready").status_code == 503
            assert client.get("/health").status_code == 200
            url, server = start_postgres(tmp_path / "pg")  # back up
            answers = [client.get(f"{V1}/products", headers=shop.staff).status_code for _ in range(3)]
            assert answers[-1] == 200, answers
            assert set(answers) <= {200, 503}
            assert client.get("/ready").status_code == 200
    finally:
        server.cleanup()
