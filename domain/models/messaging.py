"""WhatsApp messages: the durable inbox (unique per wamid), the outbound log with Graph API
status, and each client's message templates."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, UUIDPrimaryKey, str_enum, tenant_table, utcnow


class InboxState(enum.StrEnum):
    """Where an inbound message stands; `done` and `dead` are final (an owner may retry a dead one)."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"


class OutboundState(enum.StrEnum):
    """Where a message of ours stands on our side: written (`pending`, before the Graph API call),
    accepted by Graph (`sent`), given up (`dead`), or not for Graph (`simulated`)."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    SIMULATED = "simulated"


class DeliveryStatus(enum.StrEnum):
    """What Meta reported back for a sent message."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@tenant_table
class InboxMessage(UUIDPrimaryKey, TenantOwned, Base):
    """One inbound WhatsApp message, stored before the webhook answers 200; its state is the truth
    the worker and the sweeper go by."""

    __tablename__ = "whatsapp_inbox"
    __table_args__ = (
        UniqueConstraint("client_id", "wamid"),
        Index("ix_whatsapp_inbox_client_id_received_at", "client_id", "received_at"),
        Index("ix_whatsapp_inbox_unfinished", "received_at", postgresql_where="state IN ('received', 'processing')"),
    )

    wamid: Mapped[str] = mapped_column(String(200))
    phone_number_id: Mapped[str] = mapped_column(String(64))
    wa_id: Mapped[str] = mapped_column(String(32))
    wa_user_id: Mapped[str | None] = mapped_column(String(128))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    simulated: Mapped[bool] = mapped_column(default=False)
    state: Mapped[InboxState] = mapped_column(str_enum(InboxState), default=InboxState.RECEIVED)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    done_at: Mapped[datetime | None]


@tenant_table
class OutboundMessage(UUIDPrimaryKey, TenantOwned, Base):
    """One message of ours, written before the Graph API call under a key that makes it unique
    (`reply:<inbox id>`, `approval:<id>`, `order:<id>:<status>`, `owner:<approval id>:<user id>`,
    `code:<user id>:<time>`), with what the turn cost and
    the statuses Meta reported."""

    __tablename__ = "whatsapp_outbound"
    __table_args__ = (
        UniqueConstraint("client_id", "key"),
        Index("ix_whatsapp_outbound_client_id_created_at", "client_id", "created_at"),
        Index("ix_whatsapp_outbound_client_id_wamid", "client_id", "wamid", unique=True),
        Index("ix_whatsapp_outbound_pending", "created_at", postgresql_where="state = 'pending'"),
    )

    key: Mapped[str] = mapped_column(String(200))
    inbox_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("whatsapp_inbox.id", ondelete="SET NULL"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """An owner or staff member the message went to (their verified number), instead of a customer."""
    phone_number_id: Mapped[str] = mapped_column(String(64))
    to_wa_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[OutboundState] = mapped_column(str_enum(OutboundState), default=OutboundState.PENDING)
    status: Mapped[DeliveryStatus | None] = mapped_column(str_enum(DeliveryStatus))
    wamid: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    llm_ms: Mapped[int] = mapped_column(default=0)
    turn_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]


@tenant_table
class MessageTemplate(UUIDPrimaryKey, TenantOwned, Base):
    """An approved (or pending) message template of the client's WhatsApp Business Account."""

    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("client_id", "name", "language"),)

    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    variables: Mapped[int] = mapped_column(default=0)
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
