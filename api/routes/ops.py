"""Operational endpoints at the root: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

import redis
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import RuntimeDep

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)

CheckResult = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, CheckResult]


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: the process answers (in the event loop: no thread, no database connection)."""
    return Health()


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: PostgreSQL answers `SELECT 1` and Redis answers PING (503 names what failed)."""
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
        checks["redis"] = "unavailable"
        log.warning("readiness check failed", check="redis", error=str(exc))
    is_ready = all(result == "ok" for result in checks.values())
    body = Readiness(status="ready" if is_ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if is_ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Request counts and latencies in Prometheus text format."""
    http_metrics = request.app.state.metrics
    return Response(http_metrics.render(), media_type=http_metrics.content_type)
