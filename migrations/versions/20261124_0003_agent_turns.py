"""per-turn agent usage records (LLM calls, tokens, latency, tools), per client

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table, revoke_from_app_role

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_turns",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=False),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("llm_ms", sa.Integer(), nullable=False),
        sa.Column("total_ms", sa.Integer(), nullable=False),
        sa.Column("tools", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_agent_turns_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_turns")),
    )
    op.create_index("ix_agent_turns_client_id_created_at", "agent_turns", ["client_id", "created_at"], unique=False)
    op.create_index("ix_agent_turns_client_id_thread_id", "agent_turns", ["client_id", "thread_id"], unique=False)
    isolate_tenant_table("agent_turns")
    revoke_from_app_role("agent_turns")


def downgrade() -> None:
    op.drop_table("agent_turns")
