"""Apply Alembic migrations as the owner role, after making sure the application role exists."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from infra.db import ensure_app_role

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(engine: Engine, app_role: str) -> Config:
    """An Alembic config bound to `engine`'s connection (set by `upgrade`)."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["app_role"] = app_role
    return config


def upgrade(owner_engine: Engine, app_role: str, app_password: str) -> None:
    """Create/refresh the app role, then migrate the schema to head."""
    ensure_app_role(owner_engine, app_role, app_password)
    config = alembic_config(owner_engine, app_role)
    with owner_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
