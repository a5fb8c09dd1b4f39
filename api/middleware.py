"""Per-request context: a request id bound into every log line, one access-log line, metrics."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import UNMATCHED_ROUTE, HttpMetrics

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = structlog.get_logger("easy_ecom.access")


def internal_error() -> JSONResponse:
    """The problem+json body of an unexpected error (a fresh response: headers are added per request)."""
    body = {"type": "about:blank", "title": "Internal Server Error", "status": 500, "detail": "see the server log"}
    return JSONResponse(body, status_code=500, media_type="application/problem+json")


def request_id_from(scope: Scope) -> str:
    """The caller's X-Request-ID when it is short and log-safe, else a new uuid4."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(candidate):
                return candidate
    return str(uuid.uuid4())


def route_template(scope: Scope, request_scope: Scope) -> str:
    """The template of the route that served the request (`/api/v1/orders/{order_id}`), for low-cardinality labels.

    `scope` is the one routing filled in; `request_scope` a copy taken before routing rewrote it.
    """
    api_route = scope.get("route")
    if api_route is not None:
        own = api_route.path_format
        return _included_prefix(scope["path"], own) + own
    for route in getattr(request_scope.get("app"), "routes", ()):
        if isinstance(route, Route | Mount) and route.matches(request_scope)[0] is not Match.NONE:
            return route.path  # docs, redoc, openapi and mounted apps, which FastAPI does not record
    return UNMATCHED_ROUTE


def _included_prefix(path: str, own: str) -> str:
    """FastAPI records a route's own path, without the prefixes it was included under: take them from
    the request path when the route's static segments line up with its tail (else give none)."""
    parts, own_parts = path.rstrip("/").split("/"), own.rstrip("/").split("/")
    cut = len(parts) - len(own_parts) + 1
    if cut < 1:
        return ""
    aligned = all(
        mine.startswith("{") or mine == theirs for mine, theirs in zip(own_parts[1:], parts[cut:], strict=True)
    )
    return "/".join(parts[:cut]) if aligned else ""


class RequestContextMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware), so context variables reach the endpoint."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        request_scope = dict(scope)  # routing and mounts rewrite `scope` in place
        status: int | None = None
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception:
                # Logged here, inside the request's context, rather than by the server without its id.
                access_log.exception("unhandled error")
                if status is not None:
                    raise
                await internal_error()(scope, receive, send_with_request_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope, request_scope)
                self.metrics.observe(scope["method"], route, status or 500, seconds)
                access_log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    route=route,
                    status=status or 500,
                    duration_ms=round(seconds * 1000, 2),
                )
