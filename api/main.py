"""The FastAPI app factory: `uvicorn api.main:create_app --factory`, or `easy-ecom api`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.agent_runtime import agent_runtime
from api.limits import RequestLimiter
from api.metrics import HttpMetrics
from api.middleware import BodySizeLimitMiddleware, RateLimitMiddleware, RequestContextMiddleware
from api.problems import PROBLEM_RESPONSES, install_problem_handlers
from api.resources import connect_app_database, connect_redis, require_urls
from api.routes import api_router
from api.routes.ops import router as ops_router
from api.routes.products import IMAGE_UPLOAD_BODY_BYTES, IMAGE_UPLOAD_PATHS
from infra.db import make_session_factory
from infra.embeddings import make_image_describer, make_image_embedder
from infra.object_storage import make_object_storage
from infra.settings import Settings, get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the app-role engine (refusing a privileged role) and the Redis clients; close them on exit."""
    settings: Settings = app.state.settings
    engine = connect_app_database(settings)
    client = connect_redis(settings)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.redis = client
    limiter: RequestLimiter = app.state.limiter
    limiter.connect(require_urls(settings)[1])
    try:
        with agent_runtime(app, settings):
            yield
    finally:
        await limiter.close()
        client.close()
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for `settings` (the environment's when omitted); connections open at startup."""
    app = FastAPI(title="Easy Ecom", version="0.1.0", lifespan=lifespan, docs_url="/docs", redoc_url="/redoc")
    config = app.state.settings = settings or get_settings()
    app.state.metrics = HttpMetrics()
    app.state.limiter = RequestLimiter(config.RATE_LIMIT_PER_IP_PER_MINUTE, config.RATE_LIMIT_PER_CLIENT_PER_MINUTE)
    # The last added runs first: request context (logs, metrics) around the rate limits around the body limit.
    app.state.object_storage = make_object_storage(config)
    app.state.image_embedder = make_image_embedder(config.IMAGE_EMBEDDER)
    app.state.image_describer = make_image_describer(config)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=config.MAX_REQUEST_BODY_BYTES,
        larger=[(IMAGE_UPLOAD_PATHS, max(IMAGE_UPLOAD_BODY_BYTES, config.MAX_REQUEST_BODY_BYTES))],
    )
    app.add_middleware(
        RateLimitMiddleware, limiter=app.state.limiter, secret_key=config.secret_key, prefix=api_router.prefix
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    app.include_router(ops_router)
    app.include_router(api_router, responses=PROBLEM_RESPONSES)
    return app
