"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:45:37.278366
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.tenancy import isolate_tenant_table, revoke_from_app_role

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


TENANT_TABLES = (
    "users",
    "customers",
    "products",
    "variants",
    "stock_movements",
    "receipt_layers",
    "orders",
    "order_lines",
    "returns",
    "return_lines",
    "journal_entries",
    "journal_lines",
    "audit_events",
)
APPEND_ONLY_TABLES = ("stock_movements", "journal_entries", "journal_lines", "audit_events")


def upgrade() -> None:
    create_tables()
    enable_row_level_security()
    protect_append_only_ledgers()


def enable_row_level_security() -> None:
    """FORCE RLS on every tenant table: rows are visible and writable only inside their tenant."""
    for table in TENANT_TABLES:
        isolate_tenant_table(table)


def protect_append_only_ledgers() -> None:
    """The application role may insert into the ledgers but never rewrite them."""
    for table in APPEND_ONLY_TABLES:
        revoke_from_app_role(table)


def create_tables() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("business_overview", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opening_hours", sa.Time(), nullable=False),
        sa.Column("closing_hours", sa.Time(), nullable=False),
        sa.Column("max_discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("auto_approve_discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("return_refund_policy", sa.Text(), nullable=False),
        sa.Column("return_window_days", sa.Integer(), nullable=False),
        sa.Column("sales_commission_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("whatsapp_number", sa.String(length=32), nullable=True),
        sa.Column("whatsapp_phone_number_id", sa.String(length=64), nullable=True),
        sa.Column("whatsapp_access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("messenger", sa.String(length=200), nullable=True),
        sa.Column("required_api_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("next_order_number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id ~ '^[a-z0-9][a-z0-9_-]{2,39}$'", name=op.f("ck_clients_id_slug")),
        sa.CheckConstraint(
            "auto_approve_discount_pct >= 0 AND auto_approve_discount_pct <= max_discount_pct",
            name=op.f("ck_clients_auto_approve_within_cap"),
        ),
        sa.CheckConstraint(
            "max_discount_pct >= 0 AND max_discount_pct <= 100", name=op.f("ck_clients_max_discount_range")
        ),
        sa.CheckConstraint("return_window_days >= 0", name=op.f("ck_clients_return_window_positive")),
        sa.CheckConstraint(
            "sales_commission_pct >= 0 AND sales_commission_pct <= 100", name=op.f("ck_clients_commission_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("whatsapp_phone_number_id", name=op.f("uq_clients_whatsapp_phone_number_id")),
    )
    op.create_table(
        "platform_admins",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_admins")),
        sa.UniqueConstraint("username", name=op.f("uq_platform_admins_username")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_audit_events_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_client_id_action", "audit_events", ["client_id", "action"], unique=False)
    op.create_index("ix_audit_events_client_id_created_at", "audit_events", ["client_id", "created_at"], unique=False)
    op.create_table(
        "customers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("wa_user_id", sa.String(length=128), nullable=True),
        sa.Column("default_address", sa.Text(), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_customers_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("client_id", "wa_id", name=op.f("uq_customers_client_id_wa_id")),
    )
    op.create_index("ix_customers_client_id_wa_user_id", "customers", ["client_id", "wa_user_id"], unique=True)
    op.create_table(
        "journal_entries",
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reference_type", sa.String(length=32), nullable=True),
        sa.Column("reference_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_journal_entries_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    op.create_index(
        "ix_journal_entries_client_id_occurred_at", "journal_entries", ["client_id", "occurred_at"], unique=False
    )
    op.create_table(
        "products",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple', coalesce(name, '')), 'A') || "
                "setweight(to_tsvector('simple', coalesce(category, '')), 'B') || "
                "setweight(to_tsvector('simple', coalesce(description, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_products_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index("ix_products_client_id_category", "products", ["client_id", "category"], unique=False)
    op.create_index("ix_products_search", "products", ["search_vector"], unique=False, postgresql_using="gin")
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role", sa.Enum("owner", "staff", "customer", name="role", native_enum=False, length=24), nullable=False
        ),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'staff')", name=op.f("ck_users_role_is_staff_or_owner")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_users_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("client_id", "username", name=op.f("uq_users_client_id_username")),
    )
    op.create_table(
        "journal_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column(
            "account",
            sa.Enum(
                "cash",
                "receivables",
                "inventory",
                "revenue",
                "sales_discounts",
                "cogs",
                "commission_expense",
                "commission_payable",
                "refunds",
                "inventory_write_off",
                "equity",
                name="account",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("debit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("credit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name=op.f("ck_journal_lines_one_sided")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_journal_lines_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_lines_entry_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    op.create_index(
        "ix_journal_lines_client_account_time", "journal_lines", ["client_id", "account", "occurred_at"], unique=False
    )
    op.create_index(op.f("ix_journal_lines_entry_id"), "journal_lines", ["entry_id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "delivered",
                "cancelled",
                "partially_returned",
                "returned",
                name="orderstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("rest", "whatsapp", "chat", "pos", "system", name="channel", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "payment_method",
            sa.Enum(
                "cash",
                "card",
                "transfer",
                "mobile_money",
                "cash_on_delivery",
                name="paymentmethod",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "payment_status",
            sa.Enum(
                "unpaid", "paid", "partially_refunded", "refunded", name="paymentstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("delivery_address", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("discount_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("cogs_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("commission_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("commission_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "discount_approval",
            sa.Enum(
                "not_needed", "pending", "approved", "rejected", name="approvalstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name=op.f("ck_orders_discount_range")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_orders_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_orders_created_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_id", "idempotency_key", name=op.f("uq_orders_client_id_idempotency_key")),
        sa.UniqueConstraint("client_id", "number", name=op.f("uq_orders_client_id_number")),
    )
    op.create_index("ix_orders_client_id_created_at", "orders", ["client_id", "created_at"], unique=False)
    op.create_index("ix_orders_client_id_customer_id", "orders", ["client_id", "customer_id"], unique=False)
    op.create_index("ix_orders_client_id_status", "orders", ["client_id", "status"], unique=False)
    op.create_table(
        "variants",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("avg_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("avg_cost >= 0", name=op.f("ck_variants_avg_cost_not_negative")),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_variants_on_hand_not_negative")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_variants_price_not_negative")),
        sa.CheckConstraint("reorder_point >= 0", name=op.f("ck_variants_reorder_point_not_negative")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_variants_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_variants_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
        sa.UniqueConstraint("client_id", "sku", name=op.f("uq_variants_client_id_sku")),
    )
    op.create_index(op.f("ix_variants_product_id"), "variants", ["product_id"], unique=False)
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("line_subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("discount_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("cogs_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("returned_quantity", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "returned_quantity >= 0 AND returned_quantity <= quantity", name=op.f("ck_order_lines_returned_range")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_order_lines_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_order_lines_variant_id_variants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "variant_id", name=op.f("uq_order_lines_order_id_variant_id")),
    )
    op.create_index("ix_order_lines_client_id_variant_id", "order_lines", ["client_id", "variant_id"], unique=False)
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"], unique=False)
    op.create_table(
        "returns",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind", sa.Enum("return", "exchange", name="returnkind", native_enum=False, length=24), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refund_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("charge_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "refund_method",
            sa.Enum(
                "cash",
                "card",
                "transfer",
                "mobile_money",
                "cash_on_delivery",
                name="paymentmethod",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum("rest", "whatsapp", "chat", "pos", "system", name="channel", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_returns_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_client_id_created_at", "returns", ["client_id", "created_at"], unique=False)
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"], unique=False)
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "receipt",
                "sale",
                "cancellation",
                "return",
                "adjustment",
                name="movementkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("avg_cost_after", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference_type", sa.String(length=32), nullable=True),
        sa.Column("reference_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint("balance_after >= 0", name=op.f("ck_stock_movements_balance_not_negative")),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_stock_movements_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_stock_movements_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_stock_movements_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index(
        "ix_stock_movements_client_kind_time", "stock_movements", ["client_id", "kind", "created_at"], unique=False
    )
    op.create_index(
        "ix_stock_movements_client_variant_time",
        "stock_movements",
        ["client_id", "variant_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "receipt_layers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.Uuid(), nullable=False),
        sa.Column("movement_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("quantity_remaining", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "quantity_remaining >= 0 AND quantity_remaining <= quantity_received",
            name=op.f("ck_receipt_layers_remaining_range"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_receipt_layers_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["stock_movements.id"],
            name=op.f("fk_receipt_layers_movement_id_stock_movements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_receipt_layers_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_layers")),
    )
    op.create_index(
        "ix_receipt_layers_open",
        "receipt_layers",
        ["client_id", "variant_id", "received_at"],
        unique=False,
        postgresql_where="quantity_remaining > 0",
    )
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum("resellable", "damaged", name="itemcondition", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("refund_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("replacement_variant_id", sa.Uuid(), nullable=True),
        sa.Column("price_difference", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_return_lines_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replacement_variant_id"],
            ["variants.id"],
            name=op.f("fk_return_lines_replacement_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    op.create_index(
        "ix_return_lines_client_id_order_line_id", "return_lines", ["client_id", "order_line_id"], unique=False
    )
    op.create_index(op.f("ix_return_lines_return_id"), "return_lines", ["return_id"], unique=False)


def downgrade() -> None:
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.drop_index(op.f("ix_return_lines_return_id"), table_name="return_lines")
    op.drop_index("ix_return_lines_client_id_order_line_id", table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_receipt_layers_open", table_name="receipt_layers", postgresql_where="quantity_remaining > 0")
    op.drop_table("receipt_layers")
    op.drop_index("ix_stock_movements_client_variant_time", table_name="stock_movements")
    op.drop_index("ix_stock_movements_client_kind_time", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_index(op.f("ix_returns_order_id"), table_name="returns")
    op.drop_index("ix_returns_client_id_created_at", table_name="returns")
    op.drop_table("returns")
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.drop_index("ix_order_lines_client_id_variant_id", table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index(op.f("ix_variants_product_id"), table_name="variants")
    op.drop_table("variants")
    op.drop_index("ix_orders_client_id_status", table_name="orders")
    op.drop_index("ix_orders_client_id_customer_id", table_name="orders")
    op.drop_index("ix_orders_client_id_created_at", table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_journal_lines_entry_id"), table_name="journal_lines")
    op.drop_index("ix_journal_lines_client_account_time", table_name="journal_lines")
    op.drop_table("journal_lines")
    op.drop_table("users")
    op.drop_index("ix_products_search", table_name="products", postgresql_using="gin")
    op.drop_index("ix_products_client_id_category", table_name="products")
    op.drop_table("products")
    op.drop_index("ix_journal_entries_client_id_occurred_at", table_name="journal_entries")
    op.drop_table("journal_entries")
    op.drop_index("ix_customers_client_id_wa_user_id", table_name="customers")
    op.drop_table("customers")
    op.drop_index("ix_audit_events_client_id_created_at", table_name="audit_events")
    op.drop_index("ix_audit_events_client_id_action", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("platform_admins")
    op.drop_table("clients")
