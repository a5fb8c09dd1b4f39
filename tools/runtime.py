"""What every tool shares: the conversation's principal, its own transaction, and errors the
model can act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Context
from domain.errors import DomainError
from infra.db import transaction
from infra.text_embeddings import TextEmbedder

T = TypeVar("T")


@dataclass(frozen=True)
class ToolEnv:
    """Per-conversation dependencies. `ctx` comes from the channel's authentication, never from
    the model: no tool takes a client id, a role or a customer id as an argument."""

    ctx: Context
    sessions: sessionmaker[Session]
    meaning: TextEmbedder | None = None
    """The sentence embedder for meaning search (TEXT_EMBEDDER), when one is configured."""

    def run(self, work: Callable[[Session, Context], T]) -> T:
        """Run one service call in its own transaction; a refusal becomes a ToolException whose
        message says what to do instead (the transaction is rolled back: nothing half-written)."""
        try:
            with transaction(self.sessions, self.ctx.client_id) as session:
                return work(session, self.ctx)
        except DomainError as exc:
            raise ToolException(f"refused ({exc.code}): {exc.message}") from None


def money(value: Decimal) -> str:
    """Money as a string, so no float ever carries it."""
    return f"{value:.2f}"


def make_tool(function: Callable[..., Any], args_schema: type[BaseModel] | None = None) -> BaseTool:
    """A tool whose refusals and invalid arguments come back to the model as messages it can act
    on, instead of crashing the graph. The docstring (with its Args: section) is the prompt."""
    return StructuredTool.from_function(
        function, args_schema=args_schema, handle_tool_error=True, handle_validation_error=True
    )
