"""owner approvals that another channel resolves (discounts, cancelling confirmed orders, big stock adjustments)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column(
            "kind",
            sa.Enum(
                "discount",
                "cancel_confirmed_order",
                "stock_adjustment",
                name="approvalkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=False),
        sa.Column(
            "requested_role",
            sa.Enum("owner", "staff", "customer", name="role", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("requested_channel", sa.String(length=24), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by_customer_id", sa.Uuid(), nullable=True),
        sa.Column("thread_id", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="approvalstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("decided_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_approvals_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("client_id", "request_key", name=op.f("uq_approvals_client_id_request_key")),
    )
    op.create_index(
        "ix_approvals_client_id_status_created_at", "approvals", ["client_id", "status", "created_at"], unique=False
    )
    isolate_tenant_table("approvals")


def downgrade() -> None:
    op.drop_table("approvals")
