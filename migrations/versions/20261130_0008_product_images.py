"""product search: simple + English-stemmed text vectors, variant vectors (SKU, options), images with HNSW

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DESCRIPTOR_DIM = 296  # infra.embeddings.DESCRIPTOR_DIM when this revision was written

OLD_PRODUCT_VECTOR = (
    "setweight(to_tsvector('simple', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(category, '')), 'B') || "
    "setweight(to_tsvector('simple', coalesce(description, '')), 'C')"
)
PRODUCT_VECTOR = " || ".join(
    f"setweight(to_tsvector('{config}', coalesce({column}, '')), '{weight}')"
    for column, weight in (("name", "A"), ("category", "B"), ("description", "C"))
    for config in ("simple", "english")
)
VARIANT_VECTOR = "setweight(to_tsvector('simple', coalesce(sku, '')), 'A') || " + " || ".join(
    f"setweight(jsonb_to_tsvector('{config}'::regconfig, options, '[\"string\", \"key\"]'), 'B')"
    for config in ("simple", "english")
)


def _product_vector(expression: str) -> None:
    op.drop_index("ix_products_search", table_name="products", postgresql_using="gin")
    op.drop_column("products", "search_vector")
    op.add_column(
        "products",
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=False),
    )
    op.create_index("ix_products_search", "products", ["search_vector"], unique=False, postgresql_using="gin")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    _product_vector(PRODUCT_VECTOR)
    op.add_column(
        "variants",
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(VARIANT_VECTOR, persisted=True), nullable=False),
    )
    op.create_table(
        "product_images",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=True),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("embedder", sa.String(length=40), nullable=False),
        sa.Column("embedding", Vector(DESCRIPTOR_DIM), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_product_images_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_images_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_product_images_variant_id_variants"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
    )
    op.create_index("ix_product_images_client_id_product_id", "product_images", ["client_id", "product_id"])
    op.create_index(
        "ix_product_images_embedding",
        "product_images",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    isolate_tenant_table("product_images")


def downgrade() -> None:
    op.drop_table("product_images")
    op.drop_column("variants", "search_vector")
    _product_vector(OLD_PRODUCT_VECTOR)
