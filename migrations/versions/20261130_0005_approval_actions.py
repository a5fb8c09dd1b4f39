"""approvals as records of a pending action (no thread needed, outcome kept); idempotency keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("approvals", "thread_id", existing_type=sa.String(length=200), nullable=True)
    op.add_column("approvals", sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_table(
        "idempotency_keys",
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_idempotency_keys_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_id", "key", name=op.f("pk_idempotency_keys")),
    )
    isolate_tenant_table("idempotency_keys")


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_column("approvals", "result")
    op.execute("DELETE FROM approvals WHERE thread_id IS NULL")
    op.alter_column("approvals", "thread_id", existing_type=sa.String(length=200), nullable=False)
