"""`Annotated` dependency aliases, so routes read `def route(session: SessionDep)`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import redis
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from infra.db import transaction
from infra.embeddings import ImageDescriber, ImageEmbedder
from infra.object_storage import ObjectStorage
from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    """The application-role engine opened at startup."""
    return request.app.state.engine


def get_redis(request: Request) -> redis.Redis:
    """The shared Redis client."""
    return request.app.state.redis


def get_object_storage(request: Request) -> ObjectStorage:
    """Where product pictures are stored (S3 or DATA_DIR)."""
    return request.app.state.object_storage


def get_image_embedder(request: Request) -> ImageEmbedder:
    """The embedder IMAGE_EMBEDDER names."""
    return request.app.state.image_embedder


def get_image_describer(request: Request) -> ImageDescriber | None:
    """The vision model that describes photos, when VISION_MODEL is set."""
    return request.app.state.image_describer


def get_session(request: Request) -> Iterator[Session]:
    """A session in one transaction: committed when the route returns, rolled back if it raises.

    Tenant scope is set later by the auth dependencies (`infra.db.set_tenant`).
    """
    with transaction(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
ObjectStorageDep = Annotated[ObjectStorage, Depends(get_object_storage)]
ImageEmbedderDep = Annotated[ImageEmbedder, Depends(get_image_embedder)]
ImageDescriberDep = Annotated[ImageDescriber | None, Depends(get_image_describer)]
# scope="function": the commit happens before the response is sent (durable before acknowledged).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
