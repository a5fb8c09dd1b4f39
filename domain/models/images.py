"""Product pictures and their search vectors."""

from __future__ import annotations

import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedAt, TenantOwned, UUIDPrimaryKey, tenant_table
from infra.embeddings import DESCRIPTOR_DIM


@tenant_table
class ProductImage(UUIDPrimaryKey, TenantOwned, CreatedAt, Base):
    """A picture of a product (optionally of one variant): where its bytes are stored and its vector."""

    __tablename__ = "product_images"
    __table_args__ = (
        Index("ix_product_images_client_id_product_id", "client_id", "product_id"),
        Index(
            "ix_product_images_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    variant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(20))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    embedder: Mapped[str] = mapped_column(String(40))
    embedding: Mapped[list[float]] = mapped_column(Vector(DESCRIPTOR_DIM), deferred=True)
