"""Audit log schemas: logins, failed logins and sensitive operations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    """One audited action: who, through which channel, on what, with details."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    actor_user_id: uuid.UUID | None
    actor_name: str
    channel: str
    target_type: str | None
    target_id: str | None
    detail: dict[str, Any]
    created_at: datetime
