"""personal WhatsApp numbers: a user's own number proved by a one-time code; outbound messages to users

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("whatsapp_wa_id", sa.String(length=32), nullable=True))
    op.add_column("users", sa.Column("whatsapp_verified_at", TIME, nullable=True))
    op.add_column("users", sa.Column("whatsapp_pending_wa_id", sa.String(length=32), nullable=True))
    op.add_column("users", sa.Column("whatsapp_code_hash", sa.String(length=128), nullable=True))
    op.add_column("users", sa.Column("whatsapp_code_expires_at", TIME, nullable=True))
    op.add_column("users", sa.Column("whatsapp_code_sent_at", TIME, nullable=True))
    op.add_column("users", sa.Column("whatsapp_code_attempts", sa.Integer(), server_default="0", nullable=False))
    op.create_index(
        "ix_users_client_id_whatsapp_wa_id",
        "users",
        ["client_id", "whatsapp_wa_id"],
        unique=True,
        postgresql_where=sa.text("whatsapp_wa_id IS NOT NULL"),
    )
    op.add_column("whatsapp_outbound", sa.Column("user_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_whatsapp_outbound_user_id_users", "whatsapp_outbound", "users", ["user_id"], ["id"], ondelete="SET NULL"
    )


def downgrade() -> None:
    op.drop_constraint("fk_whatsapp_outbound_user_id_users", "whatsapp_outbound", type_="foreignkey")
    op.drop_column("whatsapp_outbound", "user_id")
    op.drop_index("ix_users_client_id_whatsapp_wa_id", table_name="users")
    for column in (
        "whatsapp_code_attempts",
        "whatsapp_code_sent_at",
        "whatsapp_code_expires_at",
        "whatsapp_code_hash",
        "whatsapp_pending_wa_id",
        "whatsapp_verified_at",
        "whatsapp_wa_id",
    ):
        op.drop_column("users", column)
