"""business records: customer addresses, notes, tags, opt-out, soft delete and erasure; the business
profile's new fields; an order's delivery address id and cancel reason

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("country_calling_code", sa.String(length=3), nullable=True))
    op.add_column("clients", sa.Column("agent_language", sa.String(length=16), server_default="en", nullable=False))
    op.add_column("clients", sa.Column("off_hours_reply", sa.Text(), server_default="", nullable=False))
    op.add_column("clients", sa.Column("receipt_cost_band_pct", sa.Numeric(5, 2), server_default="50", nullable=False))
    op.add_column(
        "clients", sa.Column("daily_adjustment_approval_units", sa.Integer(), server_default="20", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_clients_calling_code_digits"), "clients", "country_calling_code ~ '^[1-9][0-9]{0,2}$'"
    )
    op.create_check_constraint(op.f("ck_clients_cost_band_positive"), "clients", "receipt_cost_band_pct >= 0")
    op.create_check_constraint(
        op.f("ck_clients_adjustment_threshold_positive"), "clients", "daily_adjustment_approval_units >= 1"
    )

    op.add_column("customers", sa.Column("notes", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "customers",
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("customers", sa.Column("marketing_opt_out", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(
        "customers",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.add_column("customers", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    # WhatsApp contacts were stored with the bare wa_id as phone: make every such phone E.164.
    op.execute("UPDATE customers SET phone = '+' || phone WHERE phone ~ '^[0-9]{8,15}$'")
    op.create_index(
        "ix_customers_client_id_phone",
        "customers",
        ["client_id", "phone"],
        unique=True,
        postgresql_where=sa.text("phone IS NOT NULL AND deleted_at IS NULL"),
    )
    op.create_index("ix_customers_client_id_created_at", "customers", ["client_id", "created_at"])

    op.create_table(
        "customer_addresses",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_customer_addresses_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index("ix_customer_addresses_client_id_customer_id", "customer_addresses", ["client_id", "customer_id"])
    op.create_index(
        "ix_customer_addresses_one_default",
        "customer_addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    isolate_tenant_table("customer_addresses")
    # The free-text default address becomes the customer's first (default) structured address.
    op.execute(
        "INSERT INTO customer_addresses "
        "(id, client_id, customer_id, label, line1, line2, city, region, postcode, country, is_default) "
        "SELECT gen_random_uuid(), client_id, id, '', left(default_address, 200), '', '', '', '', '', true "
        "FROM customers WHERE coalesce(default_address, '') <> ''"
    )
    op.drop_column("customers", "default_address")

    op.add_column("orders", sa.Column("delivery_address_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_orders_delivery_address_id_customer_addresses"),
        "orders",
        "customer_addresses",
        ["delivery_address_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("orders", sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False))

    op.create_table(
        "return_requests",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "received", "refunded", "rejected", name="returnrequeststatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("rest", "whatsapp", "chat", "pos", "system", name="channel", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("opened_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("opened_by_customer_id", sa.Uuid(), nullable=True),
        sa.Column("return_id", sa.Uuid(), nullable=True),
        sa.Column("refund_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("rejection_note", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_return_requests_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_return_requests_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_requests_return_id_returns"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_requests")),
    )
    op.create_index(
        "ix_return_requests_client_id_status_created_at", "return_requests", ["client_id", "status", "created_at"]
    )
    op.create_index("ix_return_requests_client_id_order_id", "return_requests", ["client_id", "order_id"])
    isolate_tenant_table("return_requests")


def downgrade() -> None:
    op.drop_table("return_requests")
    op.drop_column("orders", "cancel_reason")
    op.drop_constraint(op.f("fk_orders_delivery_address_id_customer_addresses"), "orders", type_="foreignkey")
    op.drop_column("orders", "delivery_address_id")
    op.add_column("customers", sa.Column("default_address", sa.Text(), nullable=True))
    op.execute(
        "UPDATE customers c SET default_address = a.line1 FROM customer_addresses a "
        "WHERE a.customer_id = c.id AND a.is_default"
    )
    op.drop_table("customer_addresses")
    op.drop_index("ix_customers_client_id_created_at", table_name="customers")
    op.drop_index("ix_customers_client_id_phone", table_name="customers")
    for column in ("erased_at", "deleted_at", "updated_at", "marketing_opt_out", "tags", "notes"):
        op.drop_column("customers", column)
    for constraint in ("adjustment_threshold_positive", "cost_band_positive", "calling_code_digits"):
        op.drop_constraint(op.f(f"ck_clients_{constraint}"), "clients", type_="check")
    for column in (
        "daily_adjustment_approval_units",
        "receipt_cost_band_pct",
        "off_hours_reply",
        "agent_language",
        "country_calling_code",
    ):
        op.drop_column("clients", column)
