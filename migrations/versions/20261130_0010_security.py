"""security: a user's second factor remembers its last used TOTP step, counts failures and can be locked

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("second_factor_failures", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("second_factor_locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "second_factor_locked_until")
    op.drop_column("users", "second_factor_failures")
    op.drop_column("users", "totp_last_step")
