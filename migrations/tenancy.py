"""Row-level security and ledger privileges, written once for every migration."""

from __future__ import annotations

from alembic import op

TENANT_PREDICATE = (
    "client_id = nullif(current_setting('app.client_id', true), '') "
    "OR current_setting('app.platform_admin', true) = 'on'"
)


def isolate_tenant_table(table: str) -> None:
    """FORCE row-level security on `table`: rows are visible and writable only inside their tenant
    (or to the platform admin's scope); a connection without a tenant sees nothing."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})")


def revoke_from_app_role(table: str, privileges: str = "UPDATE, DELETE, TRUNCATE") -> None:
    """Take `privileges` on `table` away from the application role (append-only ledgers)."""
    role = op.get_context().config.attributes["app_role"]
    op.execute(f"REVOKE {privileges} ON {table} FROM {op.get_bind().dialect.identifier_preparer.quote(role)}")
