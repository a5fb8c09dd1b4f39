"""The FastAPI app factory: `uvicorn api.main:serve_app --factory`, or `easy-ecom api`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from api.limits import RequestLimiter
from api.metrics import HttpMetrics
from api.middleware import (
    AdmissionMiddleware,
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    RequestContextMiddleware,
)
from api.problems import PROBLEM_RESPONSES, install_problem_handlers
from api.routes import API_PREFIX, feature_routers
from api.routes.ops import router as ops_router
from api.routes.products import IMAGE_UPLOAD_BODY_BYTES, IMAGE_UPLOAD_PATHS
from api.routing import route_threads
from api.whatsapp.inbox import MAX_BATCH, InboxWriter
from api.whatsapp.webhook import WhatsAppWebhook
from graph.runtime import freeze_startup_heap, open_runtime
from infra.settings import Settings, get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the shared runtime (engine, sessions, Redis, the conversation service), the WhatsApp
    inbox writer and the async rate limiter; close them on exit."""
    settings: Settings = app.state.settings
    limiter: RequestLimiter = app.state.limiter
    # Sync routes run in two pools of threads (`OneThreadRoute`): a few for the database routes (more
    # would only fight the event loop and each other for the GIL), more for the routes waiting on a
    # model or another outside service, so those cannot take the database routes' threads. What
    # FastAPI runs in a thread itself (a chat stream's events) uses anyio's, sized like the second.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.API_OUTSIDE_THREADS
    with route_threads(settings.API_THREADS, settings.API_OUTSIDE_THREADS), open_runtime(settings) as runtime:
        app.state.runtime = runtime
        app.state.inbox_writer = InboxWriter(runtime).start()
        if app.state.freeze_heap:
            freeze_startup_heap()
        limiter.connect(settings.service_urls()[1])
        try:
            yield
        finally:
            app.state.inbox_writer.close()
            await limiter.close()


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> FastAPI:
    """Build the app for `settings` (the environment's when omitted); connections open at startup,
    and with `freeze_heap` the started process's heap is frozen (`freeze_startup_heap`)."""
    app = FastAPI(title="Easy Ecom", version="0.1.0", lifespan=lifespan, docs_url="/docs", redoc_url="/redoc")
    app.state.freeze_heap = freeze_heap
    config = app.state.settings = settings or get_settings()
    app.state.metrics = HttpMetrics()
    app.state.limiter = RequestLimiter(config.RATE_LIMIT_PER_IP_PER_MINUTE, config.RATE_LIMIT_PER_CLIENT_PER_MINUTE)
    # The last added runs first: Meta's webhook deliveries (answered there, ahead of the rest), then
    # request context (logs, metrics) around admission around the rate limits around the body
    # limit (larger for picture uploads).
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=config.MAX_REQUEST_BODY_BYTES,
        larger=[(IMAGE_UPLOAD_PATHS, max(IMAGE_UPLOAD_BODY_BYTES, config.MAX_REQUEST_BODY_BYTES))],
    )
    app.add_middleware(
        RateLimitMiddleware,
        limiter=app.state.limiter,
        secret_key=config.secret_key,
        prefix=API_PREFIX,
        trusted=config.trusted_proxies(),
    )
    app.add_middleware(AdmissionMiddleware, limit=config.MAX_REQUESTS_IN_FLIGHT)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.add_middleware(
        WhatsAppWebhook,
        max_bytes=config.WHATSAPP_WEBHOOK_MAX_BYTES,
        limit=MAX_BATCH,
        metrics=app.state.metrics,
    )
    install_problem_handlers(app)
    app.include_router(ops_router)
    for router in feature_routers:
        router.include_in(app, API_PREFIX, responses=PROBLEM_RESPONSES)
    return app


def serve_app() -> FastAPI:
    """The app as `easy-ecom api` serves it (uvicorn's factory, one per worker process)."""
    return create_app(freeze_heap=True)
