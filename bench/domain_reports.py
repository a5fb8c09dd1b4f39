"""Report latency on a year of a busy shop, and orders created per second through the services.

Starts its own embedded PostgreSQL, creates 10 clients, bulk-loads 1,000,000 order lines for one
of them (and a little for the other nine) over the last 365 days with plain SQL that writes what
the services write (orders, lines, returns, stock movements, FIFO layers, journal entries and
lines with the same postings), runs ANALYZE, then times through the real service functions:

    profit_and_loss (last 30 days, last 365 days) and dashboard   target: ≤ 300 ms each
    orders.create_order, one transaction (commit) per order        orders per second

Run:  .venv/bin/python bench/domain_reports.py [--lines 1000000] [--runs 20] [--orders 500]
      [--data-dir DIR]   keep the database in DIR and reuse it on the next run (skips the load)
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain import journal, orders, reports, tenancy
from domain.context import Context
from domain.models import Account, Channel, PaymentStatus, Role, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from infra.db import app_role_password, app_url, make_engine, make_session_factory, normalize_url
from infra.db import transaction as unit_of_work
from infra.embedded import start_postgres
from infra.migrate import upgrade

APP_ROLE = "easy_ecom_app"
SECRET = "bench-secret-key-that-is-long-enough-for-anything"
DATABASE = "easy_ecom_bench"
BIG_CLIENT = "bench-big"
SMALL_CLIENTS = [f"bench-small-{n}" for n in range(1, 10)]
TARGET_MS = 300.0
LINES_PER_ORDER = 2.5  # orders have 1, 2, 3 and 4 lines in turn

# ---------------------------------------------------------------------------------------------
# Bulk load: one SQL pipeline per client, parameterised by :client, :now, :orders, :products …
# ---------------------------------------------------------------------------------------------

LOAD_STEPS: list[tuple[str, str]] = [
    ("seed", "SELECT setseed(:seed)"),
    (
        "products",
        """
        INSERT INTO products (id, client_id, name, description, category, is_active, updated_at, created_at)
        SELECT gen_random_uuid(), :client, 'Product ' || lpad(i::text, 4, '0'), 'bench product',
               'category-' || (i % 8), true, :t0, :t0
        FROM generate_series(1, :products) AS i
        """,
    ),
    (
        "variants",
        """
        CREATE TEMP TABLE b_variants AS
        SELECT id, product_id, product_name, idx, sku, price, round(price * (0.4 + random() * 0.3)::numeric, 2) AS cost
        FROM (
            SELECT gen_random_uuid() AS id, p.id AS product_id, p.name AS product_name,
                   (row_number() OVER (ORDER BY p.name, j) - 1)::int AS idx,
                   p.name || '-V' || j AS sku, round((5 + random() * 95)::numeric, 2) AS price
            FROM products p CROSS JOIN generate_series(1, :per_product) AS j
            WHERE p.client_id = :client
        ) AS priced;
        INSERT INTO variants (id, client_id, product_id, sku, options, price, reorder_point, on_hand, avg_cost,
                              is_active, created_at)
        SELECT id, :client, product_id, sku, '{}'::jsonb, price, 40, 0, cost, true, :t0 FROM b_variants
        """,
    ),
    (
        "orders (plan)",
        """
        CREATE TEMP TABLE b_orders AS
        SELECT *, 1000 + row_number() OVER (ORDER BY created_at) AS number,
               CASE WHEN fate < 0.05 THEN 'cancelled'
                    WHEN :now - created_at < interval '1 day' THEN 'pending'
                    WHEN :now - created_at < interval '3 days' THEN 'confirmed'
                    WHEN fate < 0.07 THEN 'returning'
                    ELSE 'delivered' END AS plan
        FROM (
            SELECT gen_random_uuid() AS id, gen_random_uuid() AS sale_entry_id, gen_random_uuid() AS cancel_entry_id,
                   :now - random() * interval '365 days' AS created_at, 1 + (i % 4) AS k,
                   floor(random() * :variant_count)::int AS base,
                   CASE WHEN random() < 0.2 THEN 5 ELSE 0 END::numeric AS discount_pct,
                   random() < 0.9 AS paid, random() AS fate
            FROM generate_series(1, :orders) AS i
        ) AS drawn
        """,
    ),
    (
        "order lines (plan)",
        """
        CREATE TEMP TABLE b_lines AS
        SELECT *, line_subtotal - discount_amount AS line_total
        FROM (
            SELECT id, order_id, created_at, pos, variant_id, sku, product_name, quantity, price, cost,
                   round(quantity * price, 2) AS line_subtotal,
                   round(quantity * price * discount_pct / 100, 2) AS discount_amount,
                   round(quantity * cost, 2) AS cogs,
                   CASE WHEN plan = 'returning' AND pos = 0 THEN 1 ELSE 0 END AS returned_quantity
            FROM (
                SELECT gen_random_uuid() AS id, o.id AS order_id, o.created_at, o.discount_pct, o.plan, pos,
                       v.id AS variant_id, v.sku, v.product_name, v.price, v.cost,
                       1 + (random() < 0.25)::int + (random() < 0.1)::int AS quantity
                FROM b_orders o
                CROSS JOIN LATERAL generate_series(0, o.k - 1) AS pos
                JOIN b_variants v ON v.idx = (o.base + pos * 37) % :variant_count
            ) AS drawn
        ) AS priced
        """,
    ),
    (
        "orders (totals)",
        """
        CREATE TEMP TABLE b_final AS
        SELECT o.*, t.subtotal, t.discount_amount, t.subtotal - t.discount_amount AS total, t.cogs_total,
               round((t.subtotal - t.discount_amount) * 5 / 100, 2) AS commission,
               CASE WHEN o.plan <> 'returning' THEN o.plan
                    WHEN t.all_back THEN 'returned' ELSE 'partially_returned' END AS status,
               CASE WHEN o.paid THEN 'cash' ELSE 'receivables' END AS settle,
               least(o.created_at + interval '2 hours', :now) AS cancelled_at
        FROM b_orders o
        JOIN (
            SELECT order_id, sum(line_subtotal) AS subtotal, sum(discount_amount) AS discount_amount,
                   sum(cogs) AS cogs_total, bool_and(returned_quantity = quantity) AS all_back
            FROM b_lines GROUP BY order_id
        ) AS t ON t.order_id = o.id
        """,
    ),
    (
        "returns (plan)",
        """
        CREATE TEMP TABLE b_returns AS
        SELECT gen_random_uuid() AS return_id, gen_random_uuid() AS entry_id, l.id AS line_id, l.order_id,
               l.variant_id, l.cost, o.number, o.settle, o.paid, o.created_at + interval '3 days' AS returned_at,
               refund, CASE WHEN o.total > 0 THEN round(o.commission * refund / o.total, 2) ELSE 0 END AS share
        FROM b_lines l
        JOIN b_final o ON o.id = l.order_id
        CROSS JOIN LATERAL (SELECT round(l.line_total / l.quantity, 2) AS refund) AS r
        WHERE l.returned_quantity > 0
        """,
    ),
    (
        "orders",
        """
        INSERT INTO orders (id, client_id, number, status, channel, payment_method, payment_status, note,
                            subtotal, discount_pct, discount_amount, total, cogs_total, commission_pct,
                            commission_amount, refunded_amount, discount_approval, updated_at, confirmed_at,
                            delivered_at, cancelled_at, created_at)
        SELECT o.id, :client, o.number, o.status, 'whatsapp', 'cash',
               CASE WHEN NOT o.paid THEN 'unpaid'
                    WHEN o.status IN ('cancelled', 'returned') THEN 'refunded'
                    WHEN o.status = 'partially_returned' THEN 'partially_refunded'
                    ELSE 'paid' END,
               '', o.subtotal, o.discount_pct, o.discount_amount, o.total, o.cogs_total, 5, o.commission,
               CASE WHEN o.status = 'cancelled' AND o.paid THEN o.total ELSE coalesce(r.refund, 0) END,
               'not_needed', o.created_at,
               CASE WHEN o.status NOT IN ('pending', 'cancelled') THEN o.created_at + interval '1 hour' END,
               CASE WHEN o.status IN ('delivered', 'returned', 'partially_returned')
                    THEN o.created_at + interval '1 day' END,
               CASE WHEN o.status = 'cancelled' THEN o.cancelled_at END,
               o.created_at
        FROM b_final o LEFT JOIN b_returns r ON r.order_id = o.id
        ORDER BY o.created_at
        """,
    ),
    (
        "order lines",
        """
        INSERT INTO order_lines (id, client_id, order_id, variant_id, position, sku, product_name, quantity,
                                 unit_price, unit_cost, line_subtotal, discount_amount, line_total, cogs_amount,
                                 returned_quantity)
        SELECT id, :client, order_id, variant_id, pos, sku, product_name, quantity, price, cost, line_subtotal,
               discount_amount, line_total, cogs, returned_quantity
        FROM b_lines ORDER BY created_at, pos
        """,
    ),
    (
        "returns",
        """
        INSERT INTO returns (id, client_id, order_id, kind, reason, refund_amount, charge_amount, refund_method,
                             channel, created_at)
        SELECT return_id, :client, order_id, 'return', 'bench', refund, 0, 'cash', 'whatsapp', returned_at
        FROM b_returns ORDER BY returned_at;
        INSERT INTO return_lines (id, client_id, return_id, order_line_id, quantity, condition, refund_amount,
                                  price_difference)
        SELECT gen_random_uuid(), :client, return_id, line_id, 1, 'resellable', refund, 0 FROM b_returns
        """,
    ),
    (
        "stock movements (plan)",
        """
        CREATE TEMP TABLE b_moves AS
        SELECT *, sum(qty) OVER (PARTITION BY variant_id ORDER BY at, qty DESC ROWS UNBOUNDED PRECEDING)
                  AS balance_after,
               gen_random_uuid() AS entry_id
        FROM (
            SELECT variant_id, created_at AS at, 'sale' AS kind, -quantity AS qty, cost,
                   'order' AS ref_type, order_id AS ref_id
            FROM b_lines
            UNION ALL
            SELECT l.variant_id, o.cancelled_at, 'cancellation', l.quantity, l.cost, 'order', l.order_id
            FROM b_lines l JOIN b_final o ON o.id = l.order_id WHERE o.status = 'cancelled'
            UNION ALL
            SELECT variant_id, returned_at, 'return', 1, cost, 'return', return_id FROM b_returns
            UNION ALL  -- a receipt per variant at the start of every 30 days, covering those days' sales
            SELECT variant_id, :t0 + bucket * interval '30 days', 'receipt', sum(quantity) + 20, cost, NULL, NULL
            FROM (
                SELECT variant_id, cost, quantity,
                       floor(extract(epoch FROM created_at - :t0) / (30 * 86400))::int AS bucket
                FROM b_lines
            ) AS dated
            GROUP BY variant_id, cost, bucket
            UNION ALL  -- and a fresh delivery half a day ago
            SELECT id, :now - interval '12 hours', 'receipt', 100, cost, NULL, NULL FROM b_variants
        ) AS moves
        """,
    ),
    (
        "stock movements + FIFO layers",
        """
        WITH inserted AS (
            INSERT INTO stock_movements (client_id, variant_id, kind, quantity, unit_cost, value, balance_after,
                                         avg_cost_after, reason, reference_type, reference_id, created_at)
            SELECT :client, variant_id, kind, qty, cost, qty * cost, balance_after, cost, '', ref_type, ref_id, at
            FROM b_moves ORDER BY at, qty DESC
            RETURNING id, variant_id, quantity, unit_cost, created_at
        ),
        issued AS (SELECT variant_id, -sum(qty) AS units FROM b_moves WHERE qty < 0 GROUP BY variant_id),
        layers AS (
            SELECT *, sum(quantity) OVER (PARTITION BY variant_id ORDER BY created_at, id) AS received_so_far
            FROM inserted WHERE quantity > 0
        )
        INSERT INTO receipt_layers (client_id, variant_id, movement_id, received_at, quantity_received,
                                    quantity_remaining, unit_cost)
        SELECT :client, l.variant_id, l.id, l.created_at, l.quantity,
               greatest(0, least(l.quantity, l.received_so_far - coalesce(i.units, 0))), l.unit_cost
        FROM layers l LEFT JOIN issued i USING (variant_id)
        """,
    ),
    (
        "variants (stock levels)",
        """
        UPDATE variants v SET on_hand = s.units
        FROM (SELECT variant_id, sum(qty) AS units FROM b_moves GROUP BY variant_id) AS s
        WHERE v.id = s.variant_id
        """,
    ),
    (
        "journal (plan)",
        """
        CREATE TEMP TABLE b_postings AS
        -- receipts: inventory against cash
        SELECT entry_id, 'inventory' AS account, qty * cost AS amount, at FROM b_moves WHERE kind = 'receipt'
        UNION ALL SELECT entry_id, 'cash', -qty * cost, at FROM b_moves WHERE kind = 'receipt'
        -- sales: settlement, discount, revenue, commission, then inventory out at cost per line
        UNION ALL SELECT sale_entry_id, settle, total, created_at FROM b_final
        UNION ALL SELECT sale_entry_id, 'sales_discounts', discount_amount, created_at FROM b_final
        UNION ALL SELECT sale_entry_id, 'revenue', -subtotal, created_at FROM b_final
        UNION ALL SELECT sale_entry_id, 'commission_expense', commission, created_at FROM b_final
        UNION ALL SELECT sale_entry_id, 'commission_payable', -commission, created_at FROM b_final
        UNION ALL SELECT o.sale_entry_id, 'inventory', -l.cogs, o.created_at
                  FROM b_lines l JOIN b_final o ON o.id = l.order_id
        UNION ALL SELECT o.sale_entry_id, 'cogs', l.cogs, o.created_at
                  FROM b_lines l JOIN b_final o ON o.id = l.order_id
        -- cancellations: the sale reversed, stock back at cost
        UNION ALL SELECT cancel_entry_id, settle, -total, cancelled_at FROM b_final WHERE status = 'cancelled'
        UNION ALL SELECT cancel_entry_id, 'sales_discounts', -discount_amount, cancelled_at
                  FROM b_final WHERE status = 'cancelled'
        UNION ALL SELECT cancel_entry_id, 'revenue', subtotal, cancelled_at FROM b_final WHERE status = 'cancelled'
        UNION ALL SELECT cancel_entry_id, 'commission_expense', -commission, cancelled_at
                  FROM b_final WHERE status = 'cancelled'
        UNION ALL SELECT cancel_entry_id, 'commission_payable', commission, cancelled_at
                  FROM b_final WHERE status = 'cancelled'
        UNION ALL SELECT o.cancel_entry_id, 'inventory', l.cogs, o.cancelled_at
                  FROM b_lines l JOIN b_final o ON o.id = l.order_id WHERE o.status = 'cancelled'
        UNION ALL SELECT o.cancel_entry_id, 'cogs', -l.cogs, o.cancelled_at
                  FROM b_lines l JOIN b_final o ON o.id = l.order_id WHERE o.status = 'cancelled'
        -- returns: refund, restock at cost, the commission share back
        UNION ALL SELECT entry_id, 'refunds', refund, returned_at FROM b_returns
        UNION ALL SELECT entry_id, settle, -refund, returned_at FROM b_returns
        UNION ALL SELECT entry_id, 'inventory', cost, returned_at FROM b_returns
        UNION ALL SELECT entry_id, 'cogs', -cost, returned_at FROM b_returns
        UNION ALL SELECT entry_id, 'commission_payable', share, returned_at FROM b_returns
        UNION ALL SELECT entry_id, 'commission_expense', -share, returned_at FROM b_returns
        """,
    ),
    (
        "journal entries",
        """
        INSERT INTO journal_entries (id, client_id, occurred_at, kind, memo, reference_type, reference_id)
        SELECT * FROM (
            SELECT entry_id, :client, at, 'stock_receipt', 'received ' || qty, 'variant', variant_id
            FROM b_moves WHERE kind = 'receipt'
            UNION ALL SELECT sale_entry_id, :client, created_at, 'sale', 'order #' || number, 'order', id
            FROM b_final
            UNION ALL SELECT cancel_entry_id, :client, cancelled_at, 'cancellation',
                             'order #' || number || ' cancelled', 'order', id
            FROM b_final WHERE status = 'cancelled'
            UNION ALL SELECT entry_id, :client, returned_at, 'return', 'return against order #' || number,
                             'return', return_id
            FROM b_returns
        ) AS entries ORDER BY 3
        """,
    ),
    (
        "journal lines (+ hourly rollup trigger)",
        """
        INSERT INTO journal_lines (client_id, entry_id, account, debit, credit, occurred_at)
        SELECT :client, entry_id, account, greatest(amount, 0), greatest(-amount, 0), at
        FROM b_postings WHERE amount <> 0 ORDER BY at, entry_id
        """,
    ),
    (
        "order numbers",
        """
        UPDATE order_numbers SET next_number = (SELECT max(number) + 1 FROM b_orders) WHERE client_id = :client;
        DROP TABLE b_variants, b_orders, b_lines, b_final, b_returns, b_moves, b_postings
        """,
    ),
]


def load_client(connection: Connection, client_id: str, order_lines: int, products: int, seed: float) -> None:
    """Generate about `order_lines` order lines for `client_id` over the last 365 days, with SQL."""
    now = utcnow()
    params = {
        "client": client_id,
        "now": now,
        "t0": now - timedelta(days=366),
        "orders": max(4, round(order_lines / LINES_PER_ORDER)),
        "products": products,
        "per_product": 4,
        "variant_count": products * 4,
        "seed": seed,
    }
    verbose = order_lines >= 100_000
    for name, sql in LOAD_STEPS:
        started = time.perf_counter()
        for statement in filter(str.strip, sql.split(";")):
            connection.execute(text(statement), params)
        if verbose:
            print(f"    {name:<42} {time.perf_counter() - started:6.1f} s", flush=True)


def create_clients(factory: sessionmaker[Session]) -> None:
    """Ten shops through the tenancy service (the bench's one write that is not bulk SQL)."""
    with factory() as session, session.begin():
        for client_id in [BIG_CLIENT, *SMALL_CLIENTS]:
            tenancy.create_client(session, client_id, client_id.replace("-", " ").title(), timezone="Africa/Lagos")


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def time_report(factory: sessionmaker[Session], call: Callable[[Session], object], runs: int) -> tuple[float, float]:
    """(p50, p95) in ms of `call` in its own transaction, after one warm-up run."""
    samples = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        with unit_of_work(factory, BIG_CLIENT) as session:
            call(session)
        if attempt:
            samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50), percentile(samples, 95)


def time_order_creation(factory: sessionmaker[Session], ctx: Context, count: int) -> tuple[float, float, float]:
    """(orders per second, p50 ms, p95 ms) creating `count` 1- and 3-line orders, committing each."""
    with unit_of_work(factory, BIG_CLIENT) as session:
        variant_ids = list(session.scalars(select(Variant.id).where(Variant.client_id == BIG_CLIENT)))
    chooser = random.Random(7)
    samples = []
    started = time.perf_counter()
    for n in range(count):
        picked = chooser.sample(variant_ids, 1 if n % 2 == 0 else 3)
        draft = OrderDraft(lines=[LineRequest(v, 1) for v in picked], payment_status=PaymentStatus.PAID)
        begun = time.perf_counter()
        with unit_of_work(factory, BIG_CLIENT) as session:
            orders.create_order(session, ctx, draft)
        samples.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    return count / elapsed, percentile(samples, 50), percentile(samples, 95)


def check_consistency(factory: sessionmaker[Session], ctx: Context) -> list[tuple[str, bool]]:
    """The ledger invariants on the loaded data, read through the services where they exist."""
    with unit_of_work(factory, BIG_CLIENT) as session:
        debits, credits = journal.totals(session, ctx)
        inventory_account = journal.balances(session, ctx)[Account.INVENTORY]
        valuation = reports.inventory_valuation(session, ctx, limit=0).total
        drifted_variants = session.scalar(
            text(
                "SELECT count(*) FROM variants v WHERE v.client_id = :c AND v.on_hand <> "
                "(SELECT coalesce(sum(m.quantity), 0) FROM stock_movements m "
                " WHERE m.client_id = :c AND m.variant_id = v.id)"
            ),
            {"c": BIG_CLIENT},
        )
        unlayered_variants = session.scalar(
            text(
                "SELECT count(*) FROM variants v WHERE v.client_id = :c AND v.on_hand <> "
                "(SELECT coalesce(sum(l.quantity_remaining), 0) FROM receipt_layers l "
                " WHERE l.client_id = :c AND l.variant_id = v.id)"
            ),
            {"c": BIG_CLIENT},
        )
        per_account = "SELECT account, sum(debit), sum(credit) FROM {} WHERE client_id = :c GROUP BY 1 ORDER BY 1"
        lines = session.execute(text(per_account.format("journal_lines")), {"c": BIG_CLIENT}).all()
        rollup = session.execute(text(per_account.format("journal_hours")), {"c": BIG_CLIENT}).all()
    return [
        (f"debits = credits ({debits:,})", debits == credits),
        (f"inventory account = valuation ({valuation:,})", inventory_account == valuation),
        ("on hand = Σ stock movements, every variant", drifted_variants == 0),
        ("on hand = Σ open FIFO layers, every variant", unlayered_variants == 0),
        ("hourly rollup = journal lines, every account", lines == rollup),
    ]


def count_rows(engine: Engine) -> dict[str, int]:
    tables = ["orders", "order_lines", "stock_movements", "receipt_layers", "journal_entries", "journal_lines"]
    with engine.connect() as connection:
        return {
            table: connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE client_id = :c"), {"c": BIG_CLIENT}
            ).scalar_one()
            for table in [*tables, "journal_hours"]
        }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


@contextmanager
def database(data_dir: Path | None) -> Iterator[tuple[str, bool]]:
    """(owner URL of the bench database, whether it was just created) on an embedded server."""
    with tempfile.TemporaryDirectory(prefix="easy-ecom-bench-") as tmp:
        root = data_dir or Path(tmp)
        server_url, server = start_postgres(root / "pg")
        try:
            admin = make_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE})
                created = exists.first() is None
                if created:
                    connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
            admin.dispose()
            url = make_url(normalize_url(server_url)).set(database=DATABASE)
            yield url.render_as_string(hide_password=False), created
        finally:
            server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines for the big client")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per report")
    parser.add_argument("--orders", type=int, default=500, help="orders to create through the service")
    parser.add_argument("--data-dir", type=Path, help="keep the database here and reuse it")
    args = parser.parse_args()
    began = time.perf_counter()

    with database(args.data_dir) as (owner_url, created):
        owner = make_engine(owner_url)
        password = app_role_password(SECRET, APP_ROLE)
        upgrade(owner, APP_ROLE, password)
        app = make_engine(app_url(owner_url, APP_ROLE, password))
        factory = make_session_factory(app)
        if created:
            print(f"loading {args.lines:,} order lines for {BIG_CLIENT} and a little for 9 more clients …")
            create_clients(make_session_factory(owner))
            with owner.begin() as connection:
                connection.execute(text("SET LOCAL work_mem = '256MB'"))
                load_client(connection, BIG_CLIENT, args.lines, products=120, seed=0.42)
                for n, client_id in enumerate(SMALL_CLIENTS):
                    load_client(connection, client_id, 2_000, products=10, seed=n / 10)
            with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                started = time.perf_counter()
                connection.execute(text("VACUUM ANALYZE"))
                print(f"    {'VACUUM ANALYZE':<42} {time.perf_counter() - started:6.1f} s")
        print(f"rows for {BIG_CLIENT}: " + ", ".join(f"{k} {v:,}" for k, v in count_rows(owner).items()))

        ctx = Context(BIG_CLIENT, Role.OWNER, Channel.REST, actor_name="bench")
        for check, holds in check_consistency(factory, ctx):
            print(f"  {'ok    ' if holds else 'BROKEN'} {check}")
        now = utcnow()
        cases: list[tuple[str, Callable[[Session], object]]] = [
            ("profit_and_loss, last 30 days", lambda s: reports.profit_and_loss(s, ctx, now - timedelta(30), now)),
            ("profit_and_loss, last 365 days", lambda s: reports.profit_and_loss(s, ctx, now - timedelta(365), now)),
            ("dashboard", lambda s: reports.dashboard(s, ctx)),
        ]
        print(f"\nreport latency over {args.runs} runs (after one warm-up), target ≤ {TARGET_MS:.0f} ms")
        for label, call in cases:
            p50, p95 = time_report(factory, call, args.runs)
            verdict = "ok" if p95 <= TARGET_MS else "MISSES TARGET"
            print(f"  {label:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {verdict}")

        if args.orders:
            per_second, p50, p95 = time_order_creation(factory, ctx, args.orders)
            print(f"\norders.create_order, {args.orders} orders (1 and 3 lines), one commit each")
            print(f"  {per_second:6.1f} orders/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
        app.dispose()
        owner.dispose()
    print(f"\ntotal bench time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
