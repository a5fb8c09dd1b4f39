"""Per-turn records: LLM calls, tokens, latency and tools used (supervisor and specialists)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult


@dataclass
class TurnRecord:
    """What one user turn cost."""

    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    llm_seconds: float = 0.0
    tools: list[str] = field(default_factory=list)


class TurnMeter(BaseCallbackHandler):
    """A callback handler filling a TurnRecord; pass it in the invoke config's callbacks.

    Nested runs (specialists inside the supervisor's tools) report here too.
    """

    def __init__(self) -> None:
        self.record = TurnRecord()
        self._started: dict[uuid.UUID, float] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        with self._lock:
            self._started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: uuid.UUID, **kwargs: Any) -> None:
        with self._lock:
            started = self._started.pop(run_id, None)
            self.record.llm_calls += 1
            if started is not None:
                self.record.llm_seconds += time.perf_counter() - started
            for generations in response.generations:
                for generation in generations:
                    usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
                    self.record.input_tokens += int(usage.get("input_tokens", 0))
                    self.record.output_tokens += int(usage.get("output_tokens", 0))

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        with self._lock:
            self.record.tools.append(str(kwargs.get("name") or serialized.get("name", "?")))
