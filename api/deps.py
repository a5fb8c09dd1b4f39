"""`Annotated` dependency aliases, so routes read `def route(caller: Caller)`.

No dependency opens a database session: a route opens its one transaction itself
(`with caller.transaction() as session:`) and closes it before it returns, inside the one worker
thread that runs it. A connection or a row lock is therefore never held while the request waits
for a thread (the response is serialised after the commit) — the design that ended the stall at
~60 requests in flight (see docs/operations.md). The dependencies here are `async`: they only read
`app.state`, and a sync one would cost each request a trip through the thread pool.
"""

from __future__ import annotations

from typing import Annotated

import redis
from fastapi import Depends, Request

from graph.conversations import ConversationService
from graph.runtime import Runtime
from infra.embeddings import ImageDescriber, ImageEmbedder
from infra.object_storage import ObjectStorage
from infra.settings import Settings
from infra.text_embeddings import TextEmbedder
from infra.whatsapp import GraphClient


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_runtime(request: Request) -> Runtime:
    """The shared resources opened at startup."""
    return request.app.state.runtime


async def get_redis(request: Request) -> redis.Redis:
    """The shared Redis client."""
    return request.app.state.runtime.redis


async def get_object_storage(request: Request) -> ObjectStorage:
    """Where product pictures are stored (S3 or DATA_DIR)."""
    return request.app.state.runtime.object_storage


async def get_image_embedder(request: Request) -> ImageEmbedder:
    """The embedder IMAGE_EMBEDDER names."""
    return request.app.state.runtime.image_embedder


async def get_image_describer(request: Request) -> ImageDescriber | None:
    """The vision model that describes photos, when VISION_MODEL is set."""
    return request.app.state.runtime.image_describer


async def get_text_embedder(request: Request) -> TextEmbedder | None:
    """The sentence embedder TEXT_EMBEDDER names, for meaning search (None: words only)."""
    return request.app.state.runtime.text_embedder


async def get_conversations(request: Request) -> ConversationService:
    """The conversation service every channel shares."""
    return request.app.state.runtime.conversations


async def get_whatsapp(request: Request) -> GraphClient:
    """The WhatsApp Cloud (Graph) API client."""
    return request.app.state.runtime.whatsapp


OUTSIDE_SERVICES = frozenset(
    {get_conversations, get_object_storage, get_image_embedder, get_image_describer, get_text_embedder, get_whatsapp}
)
"""The dependencies that give a route something outside the database to wait on: a route using
any of them runs in the outside pool of threads (`api.routing.OneThreadRoute`)."""

SettingsDep = Annotated[Settings, Depends(get_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
ObjectStorageDep = Annotated[ObjectStorage, Depends(get_object_storage)]
ImageEmbedderDep = Annotated[ImageEmbedder, Depends(get_image_embedder)]
ImageDescriberDep = Annotated[ImageDescriber | None, Depends(get_image_describer)]
TextEmbedderDep = Annotated[TextEmbedder | None, Depends(get_text_embedder)]
WhatsAppDep = Annotated[GraphClient, Depends(get_whatsapp)]
