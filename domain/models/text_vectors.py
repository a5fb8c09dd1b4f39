"""Sentence vectors of products' text, for semantic search (kept only when a text embedder is set)."""

from __future__ import annotations

import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, tenant_table
from infra.text_embeddings import TEXT_DIM


@tenant_table
class ProductTextVector(TenantOwned, Base):
    """One product's sentence vector, with the hash of the text it was made from (stale when the text changes)."""

    __tablename__ = "product_text_vectors"
    __table_args__ = (
        Index("ix_product_text_vectors_client_id", "client_id"),
        Index(
            "ix_product_text_vectors_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    embedder: Mapped[str] = mapped_column(String(40))
    text_hash: Mapped[str] = mapped_column(String(32))
    embedding: Mapped[list[float]] = mapped_column(Vector(TEXT_DIM), deferred=True)
