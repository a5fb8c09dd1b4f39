"""POST /api/v1/chat/webhook, Meta's deliveries, served ahead of the app's middleware and routing.

Meta sizes one number at 320 deliveries/s and wants them acknowledged fast; each is one small
signed body. So this path is lean: it reads the body (its own 3 MB cap, not the API's 1 MiB),
checks the signature in constant time before anything else, parses it, and waits for the inbox
writer's group commit (api/whatsapp/inbox.py) without a thread of its own. It skips what does
not apply to it: routing and dependencies, the per-IP rate limit (Meta sends from few
addresses; the signature is the gate), the request id and the access-log line of every 200
(each delivery is still counted in the metrics, and every other answer is logged). A waiting
delivery holds no thread and no connection, so its in-flight limit is its own: what one batch of
the writer takes (inbox.MAX_BATCH); beyond it, 503 with Retry-After. It answers problem+json like
the rest of the API.
"""

from __future__ import annotations

import json
import time

import structlog
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.metrics import HttpMetrics
from api.middleware import BodyTooLarge, busy, internal_error
from api.problems import database_unavailable, domain_problem, problem
from api.whatsapp.inbox import InboxWriter
from domain import messaging
from domain.errors import AuthenticationFailed, DomainError, ValidationFailed
from graph.runtime import Runtime
from infra.whatsapp import SIGNATURE_HEADER, signature_valid

WEBHOOK_PATH = "/api/v1/chat/webhook"
_SIGNATURE = SIGNATURE_HEADER.lower().encode()
access_log = structlog.get_logger("easy_ecom.access")


async def read_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes | None:
    """The request body, or None as soon as it (or its Content-Length) is over `max_bytes`."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > max_bytes:
            return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the caller hung up
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class WhatsAppWebhook:
    """Pure ASGI middleware, the outermost: POST /api/v1/chat/webhook is answered here; every
    other request goes on to the app. The runtime and the inbox writer are the app's (its
    lifespan opens them)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, limit: int, metrics: HttpMetrics) -> None:
        self.app, self.max_bytes, self.limit, self.metrics = app, max_bytes, limit, metrics
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response = await self._answer(scope, receive)
        await response(scope, receive, send)
        seconds = time.perf_counter() - started
        self.metrics.observe("POST", WEBHOOK_PATH, response.status_code, seconds)
        if response.status_code != 200:
            access_log.info(
                "request",
                method="POST",
                path=WEBHOOK_PATH,
                route=WEBHOOK_PATH,
                status=response.status_code,
                duration_ms=round(seconds * 1000, 2),
            )

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        if self.in_flight >= self.limit:
            return busy(self.limit)
        self.in_flight += 1
        try:
            body = await read_body(scope, receive, self.max_bytes)
            if body is None:
                too_large = BodyTooLarge(self.max_bytes)
                return problem(413, too_large.detail, too_large.detail)
            runtime: Runtime = scope["app"].state.runtime
            writer: InboxWriter = scope["app"].state.inbox_writer
            secret = runtime.settings.WHATSAPP_APP_SECRET
            signature = next((value.decode("latin-1") for name, value in scope["headers"] if name == _SIGNATURE), None)
            if secret is None or not signature_valid(secret.get_secret_value(), body, signature):
                raise AuthenticationFailed(f"missing or wrong {SIGNATURE_HEADER}")
            try:
                payload = json.loads(body)
            except ValueError:
                raise ValidationFailed("the body is not JSON") from None
            await writer.store(messaging.parse_delivery(payload))
            return Response(b'{"status":"ok"}', media_type="application/json")
        except DomainError as exc:
            return domain_problem(exc)
        except (OperationalError, SQLAlchemyTimeoutError) as exc:
            return database_unavailable(exc)
        except Exception:
            access_log.exception("unhandled error")
            return internal_error()
        finally:
            self.in_flight -= 1
