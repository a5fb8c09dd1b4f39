"""Photo-search vectors at scale: HNSW build time, top-10 latency and recall@10 against exact search,
with and without the tenant filter, for the descriptor's dimension and for 384-d text vectors.

Starts its own embedded PostgreSQL 16 + pgvector, and per dimension loads one table shaped like
`product_images` (client_id, a vector, an HNSW cosine index, a btree leading with client_id):
`--big` vectors for one tenant and `--small` for each of the nine others, drawn clustered
(1,000 Gaussian clusters on the unit sphere, each point centre + noise, normalised), so neighbours
are meaningful. Queries are fresh points from the same clusters. The filtered query is the one the
app runs (`SET LOCAL hnsw.iterative_scan = relaxed_order`, `hnsw.ef_search`, WHERE client_id), at
each `--ef-search`; once more without the iterative scan, to show why it is on. Exact top-10 comes from numpy.

Run:  .venv/bin/python -m bench.vector_search [--big 100000] [--small 10000] [--queries 200]
      [--dims 296,384] [--ef-search 100,200]     # 296 = infra.embeddings.DESCRIPTOR_DIM
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from bench.support import percentile
from infra.embedded import start_postgres
from infra.embeddings import DESCRIPTOR_DIM

CLUSTERS = 1000
TENANTS = 10
TOP = 10
NOISE = 0.6  # the noise vector's expected length, relative to the unit centre


@dataclass(frozen=True)
class Case:
    """One measured query shape."""

    name: str
    tenant: str | None
    iterative: bool
    ef_search: int


def cases(ef_values: list[int]) -> list[Case]:
    """The app's query for a big tenant, a small one and no tenant, at each ef_search; and once without
    the iterative scan, to show what it is for."""
    shapes = (("big tenant, filtered", "t0"), ("small tenant, filtered", "t1"), ("no tenant filter", None))
    measured = [Case(f"{name}, ef_search {ef}", tenant, True, ef) for ef in ef_values for name, tenant in shapes]
    first = ef_values[0]
    measured.append(Case(f"small tenant, filtered, no iterative scan, ef_search {first}", "t1", False, first))
    return measured


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def clustered(rng: np.random.Generator, centres: np.ndarray, count: int) -> np.ndarray:
    """`count` points: a random centre each, plus Gaussian noise of expected length NOISE, normalised."""
    dims = centres.shape[1]
    picks = rng.integers(0, len(centres), count)
    return unit_rows(centres[picks] + rng.normal(0, NOISE / np.sqrt(dims), (count, dims))).astype(np.float32)


def load(connection: psycopg.Connection, table: str, data: dict[str, np.ndarray]) -> float:
    """Create `table`, COPY the vectors in (binary), build the indexes; return the HNSW build seconds."""
    dims = next(iter(data.values())).shape[1]
    connection.execute(
        f"CREATE TABLE {table} (id bigserial PRIMARY KEY, client_id text NOT NULL, embedding vector({dims}))"
    )
    with connection.cursor().copy(f"COPY {table} (client_id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "vector"])
        for tenant, vectors in data.items():
            for vector in vectors:
                copy.write_row((tenant, vector))
    connection.execute(f"CREATE INDEX ON {table} (client_id, id)")
    connection.execute("SET maintenance_work_mem = '3GB'")
    connection.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    connection.execute(f"CREATE INDEX ON {table} USING hnsw (embedding vector_cosine_ops)")
    built = time.perf_counter() - started
    connection.execute(f"VACUUM ANALYZE {table}")
    return built


def top_ids(connection: psycopg.Connection, table: str, query: np.ndarray, case: Case) -> list[int]:
    where = "WHERE client_id = %(tenant)s" if case.tenant else ""
    with connection.transaction():
        connection.execute(f"SET LOCAL hnsw.iterative_scan = {'relaxed_order' if case.iterative else 'off'}")
        connection.execute(f"SET LOCAL hnsw.ef_search = {case.ef_search}")
        rows = connection.execute(
            f"SELECT id FROM {table} {where} ORDER BY embedding <=> %(q)s LIMIT {TOP}",
            {"tenant": case.tenant, "q": query},
        ).fetchall()
    return [row[0] for row in rows]


def plan(connection: psycopg.Connection, table: str, query: np.ndarray, case: Case) -> str:
    where = "WHERE client_id = %(tenant)s" if case.tenant else ""
    with connection.transaction():
        connection.execute(f"SET LOCAL hnsw.iterative_scan = {'relaxed_order' if case.iterative else 'off'}")
        lines = connection.execute(
            f"EXPLAIN SELECT id FROM {table} {where} ORDER BY embedding <=> %(q)s LIMIT {TOP}",
            {"tenant": case.tenant, "q": query},
        ).fetchall()
    text = " ".join(line[0] for line in lines)
    return "HNSW" if "hnsw" in text.lower() or "embedding_idx" in text else "btree + sort (exact)"


def run_dimension(connection: psycopg.Connection, dims: int, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(dims)
    centres = unit_rows(rng.normal(size=(CLUSTERS, dims)))
    data = {f"t{n}": clustered(rng, centres, args.big if n == 0 else args.small) for n in range(TENANTS)}
    ids: dict[str, np.ndarray] = {}
    offset = 1
    for tenant, vectors in data.items():
        ids[tenant] = np.arange(offset, offset + len(vectors))
        offset += len(vectors)
    table = f"bench_vectors_{dims}"
    total = sum(len(v) for v in data.values())
    started = time.perf_counter()
    built = load(connection, table, data)
    print(
        f"\n{dims}-d: {total:,} vectors ({args.big:,} for t0, {args.small:,} for each of 9 others); "
        f"load + index {time.perf_counter() - started:.1f} s, HNSW build {built:.1f} s",
        flush=True,
    )
    everything = np.concatenate(list(data.values()))
    all_ids = np.concatenate(list(ids.values()))
    queries = clustered(rng, centres, args.queries)
    print("| case | plan | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|")
    for case in cases([int(ef) for ef in args.ef_search.split(",")]):
        pool, pool_ids = (data[case.tenant], ids[case.tenant]) if case.tenant else (everything, all_ids)
        latencies, recalls = [], []
        for query in queries:
            exact = set(pool_ids[np.argsort(-(pool @ query))[:TOP]].tolist())
            started = time.perf_counter()
            found = top_ids(connection, table, query, case)
            latencies.append((time.perf_counter() - started) * 1000)
            recalls.append(len(exact & set(found)) / TOP)
        print(
            f"| {case.name} | {plan(connection, table, queries[0], case)} | {percentile(latencies, 50):.1f} | "
            f"{percentile(latencies, 95):.1f} | {np.mean(recalls):.3f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dims", default=f"{DESCRIPTOR_DIM},384")
    parser.add_argument("--ef-search", default="100,200", help="hnsw.ef_search values for the app query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="easy-ecom-bench-") as tmp:
        url, server = start_postgres(Path(tmp) / "pg")
        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
                connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
                register_vector(connection)
                for dims in (int(d) for d in args.dims.split(",")):
                    run_dimension(connection, dims, args)
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
