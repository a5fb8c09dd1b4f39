"""Idempotency keys of retried writes: what a key was used for and what it produced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, tenant_table, utcnow


@tenant_table
class IdempotencyKey(Base):
    """A write done once under `key`: the action, a fingerprint of its arguments and the row it
    produced (`target_id`), so a retry returns that row instead of writing again."""

    __tablename__ = "idempotency_keys"

    client_id: Mapped[str] = mapped_column(String(40), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    action: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
