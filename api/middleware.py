"""Pure ASGI middleware: per-request context (request id in every log line, one access-log line,
metrics), admission (a bounded number of requests in flight), per-IP and per-client rate limits,
and the request body size limit."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.client_ip import Networks, client_ip
from api.limits import RequestLimiter
from api.metrics import UNMATCHED_ROUTE, HttpMetrics
from api.problems import problem, unavailable
from api.security import read_token
from domain.errors import AuthenticationFailed, RateLimited

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


class BodyTooLarge(HTTPException):
    """A request body over the limit; the app's HTTP error handler renders it as problem+json 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {max_bytes} bytes")


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` (413): at once when Content-Length says so, otherwise
    (chunked) as soon as the bytes the app has read pass the limit. Nothing is buffered here.

    `larger` gives other limits to the paths a pattern matches in full (picture uploads)."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = [(re.compile(pattern), limit) for pattern, limit in larger]

    def _limit(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.fullmatch(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            too_large = BodyTooLarge(max_bytes)
            await problem(413, too_large.detail, too_large.detail)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        await self.app(scope, receive_within_limit, send)


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class RateLimitMiddleware:
    """Count every request under `prefix` (/api/v1) against its IP's quota, and one with a valid token
    also against its client's (the business's; the superadmin's own); 429 with Retry-After above either.
    (Meta's webhook deliveries never reach it: api/whatsapp/webhook.py answers them first.)"""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RequestLimiter,
        secret_key: Callable[[], str],
        prefix: str,
        trusted: Networks,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.secret_key = secret_key
        self.prefix = prefix
        self.trusted = trusted

    def _client_key(self, scope: Scope) -> str | None:
        token = _bearer_token(scope)
        if not token:
            return None
        try:
            principal = read_token(self.secret_key(), token)
        except AuthenticationFailed:
            return None  # the route answers 401; the IP quota still counts the request
        return principal.client_id or f"superadmin:{principal.subject}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        counted = path == self.prefix or path.startswith(self.prefix + "/")
        if not counted:
            await self.app(scope, receive, send)
            return
        ip = client_ip(scope, self.trusted)
        try:
            self.limiter.check(ip, self._client_key(scope))
        except RateLimited as exc:
            response = problem(
                429,
                "rate limited",
                exc.message,
                type_=f"/problems/{exc.code}",
                headers={"Retry-After": str(exc.retry_after)},
                retry_after=exc.retry_after,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


BUSY_RETRY_AFTER_S = 1


def busy(limit: int) -> JSONResponse:
    """The 503 (with Retry-After) of a request over the in-flight limit."""
    detail = f"this server is at its limit of {limit} requests in flight; retry in {BUSY_RETRY_AFTER_S} s"
    return unavailable("busy", "service busy", detail, BUSY_RETRY_AFTER_S)


class AdmissionMiddleware:
    """At most `limit` requests in flight in this process; one more gets an immediate 503 with
    Retry-After instead of a place in a queue that ends in timeouts. /health is always admitted
    (it needs no thread and no connection)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit, self.in_flight = app, limit, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await busy(self.limit)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
