"""A scripted chat model for graph tests: it replays prepared messages, whatever it is asked."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> AIMessage:
    """An AI message calling these tools."""
    return AIMessage(
        content="", tool_calls=[{"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:8]}"} for n, a in calls]
    )


class ScriptedChatModel(BaseChatModel):
    """Replays `script` in order (shared by every agent it is bound into); records what it saw."""

    script: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], **kwargs: Any
    ) -> Runnable:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        message = self.script.pop(0) if self.script else AIMessage(content="(script exhausted)")
        return ChatResult(generations=[ChatGeneration(message=message)])
