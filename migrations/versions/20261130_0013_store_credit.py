"""store credit: a customer's balance, its append-only movements, the credit an order or return used

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations.tenancy import isolate_tenant_table, revoke_from_app_role

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column("customers", sa.Column("store_credit_balance", MONEY, server_default="0", nullable=False))
    op.create_check_constraint(op.f("ck_customers_store_credit_not_negative"), "customers", "store_credit_balance >= 0")
    op.add_column("orders", sa.Column("store_credit_amount", MONEY, server_default="0", nullable=False))
    op.add_column("orders", sa.Column("store_credit_refunded", MONEY, server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_orders_store_credit_range"), "orders", "store_credit_amount >= 0 AND store_credit_amount <= total"
    )
    op.add_column("returns", sa.Column("store_credit_amount", MONEY, server_default="0", nullable=False))
    op.create_table(
        "store_credit_movements",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grant",
                "deduction",
                "order_payment",
                "order_cancelled",
                "refund",
                name="creditkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("balance_after", MONEY, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference_type", sa.String(length=32), nullable=True),
        sa.Column("reference_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "rest",
                "whatsapp",
                "console",
                "chat",
                "pos",
                "system",
                "eval",
                name="channel",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_store_credit_movements_amount_not_zero")),
        sa.CheckConstraint("balance_after >= 0", name=op.f("ck_store_credit_movements_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_store_credit_movements_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_store_credit_movements_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_movements")),
    )
    op.create_index(
        "ix_store_credit_movements_client_customer_time",
        "store_credit_movements",
        ["client_id", "customer_id", "created_at"],
    )
    isolate_tenant_table("store_credit_movements")
    revoke_from_app_role("store_credit_movements")


def downgrade() -> None:
    op.drop_table("store_credit_movements")
    op.drop_column("returns", "store_credit_amount")
    op.drop_constraint(op.f("ck_orders_store_credit_range"), "orders", type_="check")
    op.drop_column("orders", "store_credit_refunded")
    op.drop_column("orders", "store_credit_amount")
    op.drop_constraint(op.f("ck_customers_store_credit_not_negative"), "customers", type_="check")
    op.drop_column("customers", "store_credit_balance")
