"""app_scope(): a transaction's tenant scope and its actor's account check in one statement

Revision ID: 0016
Revises: 0013
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SECURITY INVOKER (the default): the users lookup runs under row-level security, in the scope
    # just set. The settings are transaction-local, so they outlive the call, not the transaction.
    op.execute(
        """
        CREATE FUNCTION app_scope(scope_client text, scope_platform text, actor uuid, actor_role text)
        RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM set_config('app.client_id', scope_client, true),
                    set_config('app.platform_admin', scope_platform, true);
            RETURN actor IS NULL OR EXISTS (
                SELECT 1 FROM public.users u
                WHERE u.id = actor AND u.client_id = scope_client AND u.role = actor_role AND u.is_active
            );
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION app_scope(text, text, uuid, text)")
