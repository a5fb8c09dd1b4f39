"""semantic search: products' sentence vectors (384-d, HNSW), filled when TEXT_EMBEDDER is set

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

from migrations.tenancy import isolate_tenant_table

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXT_DIM = 384  # infra.text_embeddings.TEXT_DIM when this revision was written


def upgrade() -> None:
    op.create_table(
        "product_text_vectors",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("embedder", sa.String(length=40), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("embedding", Vector(TEXT_DIM), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_product_text_vectors_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_text_vectors_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_text_vectors")),
    )
    op.create_index("ix_product_text_vectors_client_id", "product_text_vectors", ["client_id"])
    op.create_index(
        "ix_product_text_vectors_embedding",
        "product_text_vectors",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    isolate_tenant_table("product_text_vectors")


def downgrade() -> None:
    op.drop_table("product_text_vectors")
