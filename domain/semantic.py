"""Semantic product search: sentence vectors of each product's text, kept fresh, and the nearest
products to what a person typed (used by `search.search_products` when a text embedder is set).

A product's text is its name, category and description. Its vector is refreshed lazily: before a
semantic search, products whose text changed (an md5 of the text) or that were embedded by another
model are embedded again and upserted, so a new or renamed product is found at once without a
hook in every catalog write. `easy-ecom reembed` does the same for a whole shop up front.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain import catalog
from domain.context import Context, scoped
from domain.models import Product, ProductTextVector
from infra.text_embeddings import TextEmbedder

MIN_SIMILARITY = 0.4
"""Cosine similarity below which a product is not offered as a meaning match: MiniLM gives a query and an
unrelated product 0.0–0.35 ("laptop charger" vs a coat 0.04), a fitting one 0.5–0.75 ("a jacket for snowy
weather" vs "Wool Overcoat ... keeps you warm in winter" 0.59)."""
SEMANTIC_CANDIDATES = 50
EMBED_BATCH = 64
HNSW_EF_SEARCH = 400
"""Candidates per HNSW scan step: 100 gave recall@10 ≈ 0.9 at a million vectors, 400 gives ≈ 0.99 at the
same latency (bench/README.md)."""


def product_text() -> ColumnElement[str]:
    """The text a product's vector is made from."""
    return func.concat_ws(". ", Product.name, Product.category, Product.description)


def refresh_text_vectors(
    session: Session, ctx: Context, embedder: TextEmbedder, progress: Callable[[int], None] | None = None
) -> int:
    """Embed this client's products whose vector is missing or stale; the number embedded."""
    text = product_text()
    digest = func.md5(text)
    stale = (
        scoped(session, ctx)
        .execute(
            select(Product.id, text, digest)
            .outerjoin(ProductTextVector, ProductTextVector.product_id == Product.id)
            .where(
                Product.client_id == ctx.client_id,
                or_(
                    ProductTextVector.product_id.is_(None),
                    ProductTextVector.text_hash != digest,
                    ProductTextVector.embedder != embedder.name,
                ),
            )
            .order_by(Product.id)
        )
        .all()
    )
    for start in range(0, len(stale), EMBED_BATCH):
        batch = stale[start : start + EMBED_BATCH]
        vectors = embedder.embed([row[1] for row in batch])
        rows = [
            {
                "product_id": product_id,
                "client_id": ctx.client_id,
                "embedder": embedder.name,
                "text_hash": hashed,
                "embedding": vector,
            }
            for (product_id, _, hashed), vector in zip(batch, vectors, strict=True)
        ]
        upsert = insert(ProductTextVector).values(rows)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[ProductTextVector.product_id],
                set_={c: upsert.excluded[c] for c in ("embedder", "text_hash", "embedding")},
            )
        )
        if progress is not None:
            progress(len(batch))
    return len(stale)


def use_hnsw_scan(session: Session) -> None:
    """Let a tenant-filtered HNSW scan keep going until enough rows pass the filter (see domain/search.py)."""
    session.execute(sql("SET LOCAL hnsw.iterative_scan = relaxed_order"))
    session.execute(sql(f"SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}"))


def similar_products(
    session: Session, ctx: Context, embedder: TextEmbedder, text: str, listing: Select[tuple[Product]]
) -> list[tuple[Product, float]]:
    """Products of `listing` whose text means something like `text`, with their cosine similarity, best first."""
    refresh_text_vectors(session, ctx, embedder)
    use_hnsw_scan(session)
    distance = ProductTextVector.embedding.cosine_distance(embedder.embed([text])[0])
    rows = session.execute(
        listing.join(ProductTextVector, ProductTextVector.product_id == Product.id)
        .where(ProductTextVector.embedder == embedder.name, distance <= 1 - MIN_SIMILARITY)
        .add_columns(distance)
        .order_by(distance, Product.id)
        .limit(SEMANTIC_CANDIDATES)
        .options(catalog.with_variants(ctx))
    ).all()
    return [(product, 1.0 - float(product_distance)) for product, product_distance in rows]
