"""WhatsApp channel: durable inbox (unique per wamid), outbound log with status, templates, the
client's business account and fallback template, and human handoff per customer

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _tenant_columns(table: str) -> list[sa.Column | sa.Constraint]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=f"fk_{table}_client_id_clients", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.add_column("clients", sa.Column("whatsapp_business_account_id", sa.String(length=64), nullable=True))
    op.add_column("clients", sa.Column("whatsapp_fallback_template", sa.String(length=512), nullable=True))
    op.add_column(
        "clients", sa.Column("whatsapp_template_language", sa.String(length=16), server_default="en", nullable=False)
    )
    op.add_column("customers", sa.Column("handoff_user_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_customers_handoff_user_id_users", "customers", "users", ["handoff_user_id"], ["id"], ondelete="SET NULL"
    )
    op.create_table(
        "whatsapp_inbox",
        sa.Column("wamid", sa.String(length=200), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=False),
        sa.Column("wa_user_id", sa.String(length=128), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns("whatsapp_inbox"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_whatsapp_inbox_customer_id_customers", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("client_id", "wamid", name="uq_whatsapp_inbox_client_id_wamid"),
    )
    op.create_index("ix_whatsapp_inbox_client_id_received_at", "whatsapp_inbox", ["client_id", "received_at"])
    op.create_index(
        "ix_whatsapp_inbox_unfinished",
        "whatsapp_inbox",
        ["received_at"],
        postgresql_where=sa.text("state IN ('received', 'processing')"),
    )
    op.create_table(
        "whatsapp_outbound",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("inbox_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("to_wa_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column("wamid", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("llm_ms", sa.Integer(), nullable=False),
        sa.Column("turn_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns("whatsapp_outbound"),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["whatsapp_inbox.id"],
            name="fk_whatsapp_outbound_inbox_id_whatsapp_inbox",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_whatsapp_outbound_customer_id_customers", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("client_id", "key", name="uq_whatsapp_outbound_client_id_key"),
    )
    op.create_index("ix_whatsapp_outbound_client_id_created_at", "whatsapp_outbound", ["client_id", "created_at"])
    op.create_index("ix_whatsapp_outbound_client_id_wamid", "whatsapp_outbound", ["client_id", "wamid"], unique=True)
    op.create_index(
        "ix_whatsapp_outbound_pending",
        "whatsapp_outbound",
        ["created_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "whatsapp_templates",
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("variables", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant_columns("whatsapp_templates"),
        sa.UniqueConstraint("client_id", "name", "language", name="uq_whatsapp_templates_client_id_name_language"),
    )
    for table in ("whatsapp_inbox", "whatsapp_outbound", "whatsapp_templates"):
        isolate_tenant_table(table)


def downgrade() -> None:
    for table in ("whatsapp_templates", "whatsapp_outbound", "whatsapp_inbox"):
        op.drop_table(table)
    op.drop_constraint("fk_customers_handoff_user_id_users", "customers", type_="foreignkey")
    op.drop_column("customers", "handoff_user_id")
    for column in ("whatsapp_template_language", "whatsapp_fallback_template", "whatsapp_business_account_id"):
        op.drop_column("clients", column)
