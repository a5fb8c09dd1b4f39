"""Operational endpoints at the root: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

import redis
import structlog
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import RuntimeDep
from api.routing import ApiRouter

router = ApiRouter(tags=["operations"])
log = structlog.get_logger(__name__)

CheckResult = Literal["ok", "degraded", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "degraded", "unavailable"]
    checks: dict[str, CheckResult]


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: the process answers (in the event loop: no thread, no database connection)."""
    return Health()


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: PostgreSQL answers `SELECT 1` (503 otherwise). Redis not answering PING is
    reported as `degraded` but stays ready: the API keeps serving, with rate limits and lockout
    counted in each process (docs/security.md), so a load balancer keeps every instance."""
    checks: dict[str, CheckResult] = {"database": "ok", "redis": "ok"}
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        checks["database"] = "unavailable"
        log.warning("readiness check failed", check="database", error=str(exc).splitlines()[0])
    try:
        runtime.redis.ping()
    except redis.RedisError as exc:
        checks["redis"] = "degraded"
        log.warning("readiness check failed", check="redis", error=str(exc))
    is_ready = checks["database"] == "ok"
    status = "unavailable" if not is_ready else "degraded" if checks["redis"] != "ok" else "ready"
    body = Readiness(status=status, checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if is_ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Request counts and latencies in Prometheus text format."""
    http_metrics = request.app.state.metrics
    return Response(http_metrics.render(), media_type=http_metrics.content_type)
