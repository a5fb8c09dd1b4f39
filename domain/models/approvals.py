"""Owner approvals: a sensitive action a requester asked for, kept as a record of the action itself
(kind and arguments), waiting for the owner's decision, and what executing it gave."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, UUIDPrimaryKey, str_enum, tenant_table, utcnow
from domain.models.channel import Channel
from domain.models.tenancy import Role


class ApprovalKind(enum.StrEnum):
    """What needs the owner."""

    DISCOUNT = "discount"
    CANCEL_CONFIRMED_ORDER = "cancel_confirmed_order"
    STOCK_ADJUSTMENT = "stock_adjustment"
    STOCK_RECEIPT = "stock_receipt"


class ApprovalStatus(enum.StrEnum):
    """Where the owner's approval of something stands (an approval request, or an order's discount).

    `failed`: approved, but the action was refused when it ran (e.g. the stock had gone meanwhile).
    """

    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"


@tenant_table
class Approval(UUIDPrimaryKey, TenantOwned, Base):
    """One requested action waiting for (or decided by) the owner: its kind and arguments, who asked
    through which channel, the conversation waiting on it (if any) and the outcome."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("client_id", "request_key"),
        Index("ix_approvals_client_id_status_created_at", "client_id", "status", "created_at"),
    )

    kind: Mapped[ApprovalKind] = mapped_column(str_enum(ApprovalKind))
    summary: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_key: Mapped[str] = mapped_column(String(200))
    requested_role: Mapped[Role] = mapped_column(str_enum(Role))
    requested_channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    requested_by_user_id: Mapped[uuid.UUID | None]
    requested_by_customer_id: Mapped[uuid.UUID | None]
    thread_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ApprovalStatus] = mapped_column(str_enum(ApprovalStatus), default=ApprovalStatus.PENDING)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    decided_by_user_id: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
