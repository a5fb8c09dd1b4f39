"""The chat model: OpenAI or any OpenAI-compatible server when configured, else the offline model."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from graph.offline import OfflineChatModel
from infra.settings import Settings


def make_chat_model(settings: Settings) -> BaseChatModel:
    """ChatOpenAI for OPENAI_API_KEY (+ OPENAI_BASE_URL, LLM_MODEL); the offline model otherwise."""
    if settings.OPENAI_API_KEY is None:
        return OfflineChatModel()
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.LLM_MODEL,
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        temperature=0,
        timeout=60,
        max_retries=2,
        stream_usage=True,
    )
