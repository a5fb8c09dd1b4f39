"""Alembic environment: runs as the owner role against the URL the CLI resolved."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from domain.models import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    """Run every pending migration inside one transaction."""
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `easy-ecom migrate`, which resolves the database and roles")
run_migrations(connection)
