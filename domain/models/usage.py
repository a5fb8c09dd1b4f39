"""What each agent turn cost, per client: LLM calls, tokens, latency, tools used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, TenantOwned, tenant_table, utcnow


@tenant_table
class AgentTurn(TenantOwned, Base):
    """One user turn through the agent graph; inserted once, never updated."""

    __tablename__ = "agent_turns"
    __table_args__ = (
        Index("ix_agent_turns_client_id_created_at", "client_id", "created_at"),
        Index("ix_agent_turns_client_id_thread_id", "client_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    thread_id: Mapped[str] = mapped_column(String(200))
    llm_calls: Mapped[int]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    llm_ms: Mapped[int]
    total_ms: Mapped[int]
    tools: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
