"""RFC 9457 problem+json responses, and the one mapping from domain errors to HTTP statuses."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    ApprovalRequired,
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PayloadTooLarge,
    PolicyViolation,
    RateLimited,
    UnsupportedMedia,
    ValidationFailed,
)

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem: `detail` says what to do instead. Some carry more members (`errors`,
    `retry_after`, `available`, ...)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`/problems/<code>`, or `about:blank` for plain HTTP errors")
    title: str
    status: int
    detail: str


def problem_response(description: str, **extra: object) -> dict[str, Any]:
    """An OpenAPI response entry for a problem+json answer."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}, **extra}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_response("The body cannot be read (not UTF-8 or malformed)"),
    401: problem_response("No valid bearer token (missing, expired, forged), or wrong credentials"),
    403: problem_response("Your role may not do this, or the second factor is missing or wrong"),
    404: problem_response("Not found for your business (another business's ids look the same)"),
    409: problem_response("Conflicts with the current state: stock, order status, a duplicate"),
    413: problem_response("The request body is larger than MAX_REQUEST_BODY_BYTES (images: 10 MB)"),
    422: problem_response("The request is invalid, or a business rule refuses it: `detail` says which"),
    429: problem_response(
        "Too many requests (per IP, per business) or failed logins",
        headers={"Retry-After": {"description": "Seconds until you may retry", "schema": {"type": "integer"}}},
    ),
}
"""The problems any /api/v1 operation may answer, documented on every one of them."""

STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (RateLimited, 429),
    (NotFound, 404),
    (AuthenticationFailed, 401),
    (Forbidden, 403),
    (ApprovalRequired, 403),
    (OutOfStock, 409),
    (InvalidTransition, 409),
    (Conflict, 409),
    (PolicyViolation, 422),
    (UnsupportedMedia, 415),
    (PayloadTooLarge, 413),
    (ValidationFailed, 422),
]


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error (most specific class first)."""
    for error_class, status in STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return 400


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_problem(exc)


def domain_problem(exc: DomainError) -> JSONResponse:
    """The problem+json answer to a domain error."""
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool | list)}
    return problem(
        status, exc.code.replace("_", " "), exc.message, type_=f"/problems/{exc.code}", headers=headers, **details
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem(422, "validation failed", summary, type_="/problems/validation_failed", errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail), headers=getattr(exc, "headers", None))


DATABASE_RETRY_AFTER_S = 2


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return database_unavailable(exc)


def database_unavailable(exc: Exception) -> JSONResponse:
    """No connection in time (pool full, server down or restarting), or a statement or lock wait
    cut off by its timeout: nothing was committed, so the client may retry (503)."""
    log.warning("database unavailable", error=str(exc).splitlines()[0])
    return unavailable(
        "database_unavailable",
        "database unavailable",
        f"the database did not answer in time; nothing was saved, retry in {DATABASE_RETRY_AFTER_S} s",
        DATABASE_RETRY_AFTER_S,
    )


def unavailable(code: str, title: str, detail: str, retry_after_s: int) -> JSONResponse:
    """A 503 problem the client should retry after `retry_after_s` seconds (Retry-After)."""
    return problem(503, title, detail, type_=f"/problems/{code}", headers={"Retry-After": str(retry_after_s)})


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as problem+json."""
    app.add_exception_handler(SQLAlchemyTimeoutError, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
