"""REST load: requests/s and p50/p99 through the API, next to the same statements run directly on
PostgreSQL in the same run, and the ratio of the two.

Starts, in a temp DATA_DIR, an embedded PostgreSQL (migrated) and Redis, seeds one shop (200 SKUs
and one "hot" SKU, 1,000,000 units each), serves the app with `easy-ecom api` (API_WORKERS uvicorn
processes, 127.0.0.1 only), logs in as the owner, then sends a fixed number of requests of each
kind at a fixed concurrency, one keep-alive connection per worker (`KeepAlive`; `--client httpx`
for httpx.AsyncClient, which costs the shared cores far more):

    GET  /api/v1/products/{id}     a different product each time
    POST /api/v1/orders            one unit, round robin over the 200 SKUs
    POST /api/v1/orders            one unit, always the hot SKU

and, in turn with them (200 at a time, so both sides see the machine at the same speed), the
statements the service runs for it with psycopg on as many connections, as the application role
under row-level security, one transaction per request:

    product: the tenant scope with the account check (app_scope); the product with its variants
    order:   the scope; the shop's order terms (discount rule, commission); one statement taking
             the stock (the guarded UPDATE of a sellable variant and of its oldest receipt layer); one
             statement taking the order number and inserting the order, its line, its stock
             movement, its journal entry and lines; COMMIT

Run:  .venv/bin/python -m bench.rest_load [--requests 2000] [--concurrency 16] [--products 200]
          [--api-only] [--scenario NAME ...] [--client raw|httpx]
It stops everything it started (the API, Redis, PostgreSQL) and deletes the temp dir.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench.support import SECRET, KeepAlive, bench_database, http_request, percentile
from domain import auth, inventory, tenancy
from domain.context import Context, scoped
from domain.models import Channel, Product, Role, Variant
from infra.db import make_engine, make_session_factory, transaction
from infra.embedded import start_redis, stop_redis
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only
SHOP = "bench_rest"
OWNER = ("owner", "owner-password")
STOCK = 1_000_000  # units of every SKU, the hot one included (the most one receipt may bring)
COMMISSION_PCT = Decimal(5)
CENT = Decimal("0.01")
WARMUP = 50
STRETCH = 200
"""A scenario's requests are sent in stretches of this many, the API's and the SQL side's in turn:
≈ 3 s at the slowest rate seen here, so the API's idle keep-alive connections (closed by uvicorn
after 5 s) stay open while the SQL side runs."""
TUNABLE = ("API_WORKERS", "API_THREADS", "DB_POOL_SIZE", "MAX_REQUESTS_IN_FLIGHT")
"""Settings passed on to the API from this process's environment, to compare configurations."""


@dataclass(frozen=True)
class Catalog:
    """What the load needs to know about the seeded shop."""

    owner_id: uuid.UUID
    product_ids: list[uuid.UUID]
    variant_ids: list[uuid.UUID]
    hot_variant_id: uuid.UUID


@dataclass
class Run:
    """Latencies (seconds) of one scenario and how long it took; failures by HTTP status or error."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000

    def extend(self, more: Run) -> None:
        """Add another stretch of the same scenario."""
        self.seconds += more.seconds
        self.latencies += more.latencies
        self.failures += more.failures


def seed(app_engine: Engine, products: int) -> Catalog:
    """One shop with `products` single-variant products (STOCK units each) and a hot SKU."""
    with transaction(make_session_factory(app_engine)) as session:
        tenancy.create_client(
            session,
            SHOP,
            "Bench Rest",
            max_discount_pct=Decimal(20),
            auto_approve_discount_pct=Decimal(10),
            sales_commission_pct=COMMISSION_PCT,
            return_window_days=14,
            currency="USD",
        )
        owner = auth.add_user(session, SHOP, *OWNER, Role.OWNER)
        ctx = Context(SHOP, Role.OWNER, Channel.SYSTEM, owner.id, actor_name=OWNER[0])
        rows = [(f"SKU-{n:04d}", f"Product {n:04d}", Decimal(10 + n % 40), STOCK) for n in range(1, products + 1)]
        rows.append(("HOT-0001", "Hot Product", Decimal("19.99"), STOCK))
        variants: list[Variant] = []
        for sku, name, price, stock in rows:
            product = Product(client_id=SHOP, name=name, category="bench")
            variant = Variant(client_id=SHOP, sku=sku, price=price)
            product.variants = [variant]
            scoped(session, ctx).add(product)
            session.flush()
            inventory.receive_stock(session, ctx, variant.id, stock, price * Decimal("0.45"))
            variants.append(variant)
    return Catalog(owner.id, [v.product_id for v in variants[:-1]], [v.id for v in variants[:-1]], variants[-1].id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def api_server(
    database_url: str, redis_url: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """`easy-ecom api` in a child process on a free loopback port (with `extra_env` settings);
    yields its base URL, stops it after."""
    port = free_port()
    setting_names = set(Settings.model_fields)
    env = (
        {key: value for key, value in os.environ.items() if key not in setting_names}
        | {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "DATA_DIR": str(data_dir),
            "API_HOST": HOST,
            "API_PORT": str(port),
            "RATE_LIMIT_PER_IP_PER_MINUTE": "100000000",  # measured, not throttled: every request still counts
            "RATE_LIMIT_PER_CLIENT_PER_MINUTE": "100000000",
        }
        | {name: os.environ[name] for name in TUNABLE if name in os.environ}
        | (extra_env or {})
    )
    log = (data_dir / "api.log").open("wb")
    server = subprocess.Popen(  # the working directory holds no .env
        [sys.executable, "-m", "api.cli", "api"], cwd=data_dir, env=env, stdout=log, stderr=log, start_new_session=True
    )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the API exited at start; see {data_dir / 'api.log'}")
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not become ready within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


Call = Callable[[int, int], Awaitable[str | None]]
"""One request of a scenario: (worker slot, request number) → None on success, else what failed."""


async def drive(requests: int, concurrency: int, call: Call, first: int = 0) -> Run:
    """Run `call(slot, i)` for `requests` i's from `first` on `concurrency` workers; None from a call is success."""
    run = Run()
    pending = iter(range(first, first + requests))

    async def worker(slot: int) -> None:
        for i in pending:  # one iterator shared by every worker: each i is sent once
            started = time.perf_counter()
            failure = await call(slot, i)
            run.latencies.append(time.perf_counter() - started)
            if failure is not None:
                run.failures[failure] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(slot) for slot in range(concurrency)))
    run.seconds = time.perf_counter() - started
    return run


# --- the API side -----------------------------------------------------------------------------


Send = Callable[[int, str, str, bytes], Awaitable[int]]
"""(worker slot, method, path, JSON body) → the response's status code."""


def api_scenarios(send: Send, catalog: Catalog) -> dict[str, Call]:
    """The three HTTP calls, by scenario name."""

    async def expect(answered: Awaitable[int], status: int) -> str | None:
        try:
            async with asyncio.timeout(60):
                code = await answered
        except (
            OSError,
            TimeoutError,
            asyncio.IncompleteReadError,
            httpx.TransportError,
            ValueError,
            IndexError,
        ) as exc:
            return type(exc).__name__
        return None if code == status else str(code)

    def order(slot: int, variant_id: uuid.UUID) -> Awaitable[int]:
        return send(
            slot,
            "POST",
            "/api/v1/orders",
            b'{"lines": [{"variant_id": "%s", "quantity": 1}]}' % str(variant_id).encode(),
        )

    variants, products = catalog.variant_ids, catalog.product_ids
    return {
        "GET product": lambda slot, i: expect(
            send(slot, "GET", f"/api/v1/products/{products[i % len(products)]}", b""), 200
        ),
        "POST order, different SKUs": lambda slot, i: expect(order(slot, variants[i % len(variants)]), 201),
        "POST order, one hot SKU": lambda slot, i: expect(order(slot, catalog.hot_variant_id), 201),
    }


@asynccontextmanager
async def api_calls(base: str, catalog: Catalog, concurrency: int, client: str) -> AsyncIterator[dict[str, Call]]:
    """The API's scenarios, logged in as the owner, on `concurrency` keep-alive connections
    (`client` "raw": `KeepAlive`; "httpx": one httpx.AsyncClient, as before)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as login_client:
        login = await login_client.post(
            "/api/v1/auth/login", json={"client_id": SHOP, "username": OWNER[0], "password": OWNER[1]}
        )
        login.raise_for_status()
    token = login.json()["access_token"]
    if client == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60, headers=headers) as pool:

            async def via_httpx(_: int, method: str, path: str, body: bytes) -> int:
                return (await pool.request(method, path, content=body or None)).status_code

            yield api_scenarios(via_httpx, catalog)
        return
    url = httpx.URL(base)
    headers = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    connections = [KeepAlive(url.host, url.port or 80) for _ in range(concurrency)]

    async def via_keep_alive(slot: int, method: str, path: str, body: bytes) -> int:
        try:
            return await connections[slot].send(http_request(url.host, method, path, headers, body))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
            connections[slot].close()
            raise

    try:
        yield api_scenarios(via_keep_alive, catalog)
    finally:
        for connection in connections:
            connection.close()


# --- the same statements, straight to PostgreSQL ---------------------------------------------

SCOPE = "SELECT app_scope(%(client)s, '', %(user)s, 'owner')"  # the tenant and the account check (0016)
PRODUCT = (
    "SELECT p.name, p.description, p.category, p.is_active, p.updated_at, p.id, p.client_id, p.created_at, "
    "v.product_id, v.sku, v.options, v.price, v.reorder_point, v.on_hand, v.avg_cost, v.is_active, v.id, "
    "v.client_id, v.created_at FROM products p LEFT OUTER JOIN variants v ON p.id = v.product_id "
    "WHERE p.client_id = %(client)s AND p.id = %(product)s ORDER BY v.sku"
)
TERMS = "SELECT max_discount_pct, auto_approve_discount_pct, sales_commission_pct FROM clients WHERE id = %(client)s"
TAKE_STOCK = (
    "WITH taken AS (UPDATE variants SET on_hand = variants.on_hand - 1 FROM products WHERE variants.id = %(variant)s "
    "AND variants.client_id = %(client)s AND variants.on_hand >= 1 AND products.id = variants.product_id "
    "AND variants.is_active AND products.is_active RETURNING variants.on_hand, variants.avg_cost, variants.sku, "
    "variants.price, products.name), oldest_layer AS (UPDATE receipt_layers SET quantity_remaining = "
    "quantity_remaining - 1 WHERE EXISTS (SELECT FROM taken) AND id = (SELECT id FROM receipt_layers "
    "WHERE client_id = %(client)s AND variant_id = %(variant)s AND quantity_remaining > 0 "
    "ORDER BY received_at, id LIMIT 1) AND quantity_remaining >= 1 RETURNING id) "
    "SELECT taken.*, EXISTS (SELECT FROM oldest_layer) AS whole_layer FROM taken"
)
"""The guarded stock UPDATE of a sellable variant and of its oldest receipt layer, as the service sends it."""
MOVEMENT = (
    "INSERT INTO stock_movements (variant_id, kind, quantity, unit_cost, value, balance_after, avg_cost_after, "
    "reason, reference_type, reference_id, actor_user_id, created_at, client_id) VALUES (%(variant)s, 'sale', -1, "
    "%(cost)s, %(value)s, %(balance)s, %(cost)s, '', 'order', %(order)s, %(user)s, now(), %(client)s)"
)
NUMBER = (
    "UPDATE order_numbers SET next_number = next_number + 1 WHERE client_id = %(client)s "
    "RETURNING next_number - 1 AS number"
)
TAKEN = "(SELECT number FROM order_number)"
ORDER = (
    "INSERT INTO orders (id, client_id, number, status, channel, created_by_user_id, payment_method, payment_status, "
    "note, subtotal, discount_pct, discount_amount, total, cogs_total, commission_pct, commission_amount, "
    "refunded_amount, discount_approval, updated_at, created_at) VALUES (%(order)s, %(client)s, " + TAKEN + ", "
    "'pending', 'rest', %(user)s, 'cash', 'unpaid', '', %(price)s, 0, 0, %(price)s, %(cogs)s, %(commission_pct)s, "
    "%(commission)s, 0, 'not_needed', now(), now())"
)
LINE = (
    "INSERT INTO order_lines (id, client_id, order_id, variant_id, position, sku, product_name, quantity, "
    "unit_price, unit_cost, line_subtotal, discount_amount, line_total, cogs_amount, returned_quantity) VALUES "
    "(%(line)s, %(client)s, %(order)s, %(variant)s, 0, %(sku)s, %(name)s, 1, %(price)s, %(cost)s, %(price)s, 0, "
    "%(price)s, %(cogs)s, 0)"
)
ENTRY = (
    "INSERT INTO journal_entries (id, client_id, occurred_at, kind, memo, reference_type, reference_id, "
    "created_by_user_id) VALUES (%(entry)s, %(client)s, now(), 'sale', 'order #' || " + TAKEN + "::text, 'order', "
    "%(order)s, %(user)s)"
)
JOURNAL_LINES = (
    "INSERT INTO journal_lines (entry_id, account, debit, credit, occurred_at, client_id) VALUES "
    "(%(entry)s, 'receivables', %(price)s, 0, now(), %(client)s), (%(entry)s, 'revenue', 0, %(price)s, now(), "
    "%(client)s), (%(entry)s, 'commission_expense', %(commission)s, 0, now(), %(client)s), (%(entry)s, "
    "'commission_payable', 0, %(commission)s, now(), %(client)s), (%(entry)s, 'cogs', %(cogs)s, 0, now(), "
    "%(client)s), (%(entry)s, 'inventory', 0, %(cogs)s, now(), %(client)s)"
)
NUMBERED = (
    f"WITH order_number AS ({NUMBER}), new_orders AS ({ORDER}), new_order_lines AS ({LINE}), "
    f"new_stock_movements AS ({MOVEMENT}), new_journal_entries AS ({ENTRY}), "
    f"new_journal_lines AS ({JOURNAL_LINES}) SELECT number FROM order_number"
)
"""The order-number UPDATE and the order's INSERTs as the service sends them: one statement, the last before COMMIT."""


async def read_product(connection: psycopg.AsyncConnection, product_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The product with its variants, in one tenant-scoped transaction."""
    params = {"client": SHOP, "product": product_id, "user": user_id}
    for statement in (SCOPE, PRODUCT):
        await (await connection.execute(statement, params)).fetchall()
    await connection.commit()


async def place_order(connection: psycopg.AsyncConnection, variant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """One unit of `variant_id`: what create_order writes, in one transaction."""
    params: dict[str, object] = {"client": SHOP, "variant": variant_id, "user": user_id, "order": uuid.uuid4()}
    await connection.execute(SCOPE, params)
    await (await connection.execute(TERMS, params)).fetchone()
    balance, cost, sku, price, name, _ = await (await connection.execute(TAKE_STOCK, params)).fetchone()
    cogs = cost.quantize(CENT)
    params |= {
        "sku": sku,
        "name": name,
        "price": price,
        "cost": cost,
        "cogs": cogs,
        "value": -cogs,
        "balance": balance,
        "commission_pct": COMMISSION_PCT,
        "commission": (price * COMMISSION_PCT / 100).quantize(CENT),
        "line": uuid.uuid4(),
        "entry": uuid.uuid4(),
    }
    await connection.execute(NUMBERED, params)
    await connection.commit()


@asynccontextmanager
async def sql_calls(conninfo: str, catalog: Catalog, concurrency: int) -> AsyncIterator[dict[str, Call]]:
    """The same scenarios straight to PostgreSQL, one psycopg connection per worker."""
    connections = [await psycopg.AsyncConnection.connect(conninfo) for _ in range(concurrency)]

    def guarded(work: Callable[[int, int], Awaitable[None]]) -> Call:
        async def call(slot: int, i: int) -> str | None:
            try:
                await work(slot, i)
            except psycopg.Error as exc:
                await connections[slot].rollback()
                return type(exc).__name__
            return None

        return call

    variants, products = catalog.variant_ids, catalog.product_ids
    try:
        yield {
            "GET product": guarded(
                lambda slot, i: read_product(connections[slot], products[i % len(products)], catalog.owner_id)
            ),
            "POST order, different SKUs": guarded(
                lambda slot, i: place_order(connections[slot], variants[i % len(variants)], catalog.owner_id)
            ),
            "POST order, one hot SKU": guarded(
                lambda slot, i: place_order(connections[slot], catalog.hot_variant_id, catalog.owner_id)
            ),
        }
    finally:
        for connection in connections:
            await connection.close()


def connections_per_worker(base: str) -> str:
    """How the load's keep-alive connections are spread over the API's processes, most first
    ("15 / 1"), from `ss`: each connection is served by the process that accepted it."""
    ss = shutil.which("ss")
    if ss is None:
        return "unknown (no ss)"
    port = httpx.URL(base).port
    try:
        listing = subprocess.run(
            [ss, "-tnpH", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown (ss failed)"
    counts = Counter(re.findall(r"pid=(\d+)", listing))
    return " / ".join(str(count) for count in sorted(counts.values(), reverse=True)) or "unknown"


async def measure(
    base: str,
    conninfo: str | None,
    catalog: Catalog,
    requests: int,
    concurrency: int,
    only: list[str] | None,
    client: str,
) -> tuple[dict[str, Run], dict[str, Run], str]:
    """Each scenario through the API and (unless `conninfo` is None) straight to SQL, alternating
    every STRETCH requests, so both sides of a ratio see the same load from the machine's other jobs (its
    speed changes from second to second); and how the API side's connections were spread over its
    processes."""
    api: dict[str, Run] = {}
    sql: dict[str, Run] = {}
    spread = "no API scenario ran"
    async with AsyncExitStack() as stack:
        api_side = await stack.enter_async_context(api_calls(base, catalog, concurrency, client))
        sql_side = await stack.enter_async_context(sql_calls(conninfo, catalog, concurrency)) if conninfo else {}
        for name, call in api_side.items():
            if only and name not in only:
                continue
            sides = [(api, call), (sql, sql_side.get(name))]
            for results, side_call in sides:
                if side_call is not None:
                    await drive(WARMUP, concurrency, side_call)
                    if results is api and not api:  # the connections are open after the first warm-up
                        spread = connections_per_worker(base)
                    results[name] = Run()
            for first in range(0, requests, STRETCH):
                for results, side_call in sides:
                    if side_call is not None:
                        count = min(STRETCH, requests - first)
                        results[name].extend(await drive(count, concurrency, side_call, first))
    return api, sql, spread


# --- report -------------------------------------------------------------------------------------


def check_stock(app_engine: Engine, catalog: Catalog) -> str:
    """The hot SKU's on-hand against what was received and what every order took (ledger and lines)."""
    with transaction(make_session_factory(app_engine), SHOP) as session:
        on_hand, moved, sold = session.execute(
            text(
                "SELECT v.on_hand, (SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE variant_id = v.id), "
                "(SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE variant_id = v.id) "
                "FROM variants v WHERE v.id = :v"
            ),
            {"v": catalog.hot_variant_id},
        ).one()
    verdict = "ok" if on_hand == moved == STOCK - sold else "MISMATCH"
    return f"hot SKU: on hand {on_hand:,} = Σ movements {moved:,} = {STOCK:,} received − {sold:,} sold: {verdict}"


def report(api: dict[str, Run], sql: dict[str, Run]) -> str:
    """A table of both sides and their ratios (the API's alone when `sql` is empty)."""
    header = f"{'scenario':<28}{'API req/s':>10}{'p50 ms':>8}{'p99 ms':>8}"
    if sql:
        header += f" |{'SQL req/s':>10}{'p50 ms':>8}{'p99 ms':>8} |{'API/SQL req/s':>14}{'API/SQL p50':>12}"
    lines = [header, "-" * len(header)]
    for name, run in api.items():
        line = f"{name:<28}{run.rate:>10.0f}{run.ms(50):>8.1f}{run.ms(99):>8.1f}"
        if sql:
            direct = sql[name]
            line += (
                f" |{direct.rate:>10.0f}{direct.ms(50):>8.1f}{direct.ms(99):>8.1f} |"
                f"{run.rate / direct.rate:>13.2f}×{run.ms(50) / direct.ms(50):>11.1f}×"
            )
        lines.append(line)
    failures = {
        f"{side} {name}": dict(run.failures)
        for side, runs in (("API", api), ("SQL", sql))
        for name, run in runs.items()
        if run.failures
    }
    if failures:
        lines.append(f"FAILURES: {failures}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and side (at most 100000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--api-only", action="store_true", help="skip the SQL side (e.g. at 128 in flight)")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="the API side's HTTP client (default: raw)"
    )
    parser.add_argument("--scenario", action="append", help="only this scenario (repeatable; default: all three)")
    args = parser.parse_args()
    if not (1 <= args.requests <= 100_000 and 1 <= args.concurrency <= 256):
        parser.error("keep it bounded: 1..100000 requests, 1..256 concurrent")
    load_at_start = os.getloadavg()[0]  # other jobs on the machine: the ratios within a run are what count
    with bench_database() as db, tempfile.TemporaryDirectory(prefix="easy-ecom-rest-load-") as tmp:
        redis_url, redis_process = start_redis(Path(tmp) / "redis")
        app_engine = make_engine(db.app_url)
        try:
            catalog = seed(app_engine, args.products)
            conninfo = make_url(db.app_url).set(drivername="postgresql").render_as_string(hide_password=False)
            with api_server(db.owner_url, redis_url, Path(tmp)) as base:
                api, sql, spread = asyncio.run(
                    measure(
                        base,
                        None if args.api_only else conninfo,
                        catalog,
                        args.requests,
                        args.concurrency,
                        args.scenario,
                        args.client,
                    )
                )
            print(
                f"{args.requests} requests per scenario and side after {WARMUP} warm-up, concurrency "
                f"{args.concurrency}, {args.products} SKUs + 1 hot, {os.cpu_count()} CPUs, load average "
                f"{load_at_start:.1f} at start; API: easy-ecom api on loopback"
                + ("" if args.api_only else "; SQL: psycopg, app role under RLS")
                + f"; the API's connections per process: {spread}"
            )
            print(report(api, sql))
            print(check_stock(app_engine, catalog))
        finally:
            app_engine.dispose()
            stop_redis(redis_process)


if __name__ == "__main__":
    main()
