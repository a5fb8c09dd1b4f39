"""The composition root every channel opens: settings → the application-role engine and sessions
(refusing a privileged role) → Redis → chat model → checkpointer → graph cache → the
conversation service, the picture store and image embedders, and the WhatsApp Graph API client;
one close. The API's lifespan, the WhatsApp worker, the console and the eval runner all call
`open_runtime`; tests pass their own chat model.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import redis
from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.auth import LoginLockout
from graph.builder import GraphCache
from graph.conversations import ConversationService, ThreadLocks
from graph.memory import open_checkpointer
from graph.model import make_chat_model
from infra.db import app_role_url, connect_app_engine, make_session_factory, session_options
from infra.embeddings import ImageDescriber, ImageEmbedder, make_image_describer, make_image_embedder
from infra.local_counters import LocalCounters
from infra.object_storage import ObjectStorage, make_object_storage
from infra.queue import WHATSAPP_OUTBOX, enqueue_rows
from infra.redis_client import make_redis
from infra.settings import Settings
from infra.text_embeddings import TextEmbedder, make_text_embedder
from infra.whatsapp import GraphClient


@dataclass(frozen=True)
class Runtime:
    """What a running channel holds for its lifetime."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    conversations: ConversationService
    object_storage: ObjectStorage
    image_embedder: ImageEmbedder
    image_describer: ImageDescriber | None
    text_embedder: TextEmbedder | None
    local_counters: LocalCounters
    """Rate limits and lockout counters while Redis is down (this process only)."""
    lockout: LoginLockout
    whatsapp: GraphClient


@contextmanager
def open_runtime(settings: Settings, *, chat_model: BaseChatModel | None = None) -> Iterator[Runtime]:
    """Open every shared resource for `settings` (the model from settings unless given); close
    them all on exit, in reverse order."""
    with ExitStack() as stack:
        engine = connect_app_engine(settings)
        stack.callback(engine.dispose)
        client = make_redis(settings.service_urls()[1])
        stack.callback(client.close)
        checkpointer, pool = open_checkpointer(app_role_url(settings), session_options(settings))
        stack.callback(pool.close)
        sessions = make_session_factory(engine)
        text_embedder = make_text_embedder(settings.TEXT_EMBEDDER)
        local_counters = LocalCounters()
        whatsapp = GraphClient(settings.WHATSAPP_API_BASE_URL, settings.WHATSAPP_API_VERSION)
        stack.callback(whatsapp.close)
        conversations = ConversationService(
            sessions,
            chat_model or make_chat_model(settings),
            checkpointer,
            GraphCache(),
            ThreadLocks(client),
            meaning=text_embedder,
            outbox=lambda client_id, row_id: enqueue_rows(client, WHATSAPP_OUTBOX, [(client_id, row_id)]),
        )
        yield Runtime(
            settings,
            engine,
            sessions,
            client,
            conversations,
            make_object_storage(settings),
            make_image_embedder(settings.IMAGE_EMBEDDER),
            make_image_describer(settings),
            text_embedder,
            local_counters,
            LoginLockout(client, local_counters),
            whatsapp,
        )


def freeze_startup_heap() -> None:
    """Leave what a serving process holds once started (modules, settings, pools, the runtime) out
    of the garbage collector's scans, so each full collection walks only what turns create: the
    tail of turn latency drops (bench/README.md, graph overhead). Once per long-lived process
    (API worker, WhatsApp worker, console), never per test app: frozen objects are never collected."""
    gc.collect()
    gc.freeze()
