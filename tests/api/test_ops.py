"""Liveness, readiness, metrics and the request id every log line of a request carries."""

from __future__ import annotations

import uuid

import pytest
import structlog
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from infra import db as infra_db
from infra.settings import ConfigError, Settings


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_database_and_redis_answer(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


def test_ready_but_degraded_when_redis_is_unreachable(settings: Settings, tmp_path) -> None:
    broken = settings.model_copy(update={"REDIS_URL": f"unix://{tmp_path}/no-such-redis.sock"})
    with TestClient(create_app(broken)) as client:
        response = client.get("/ready")
    assert response.status_code == 200  # a load balancer keeps the instance: it serves, counting limits locally
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "degraded"}}


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    client.get("/health")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in body
    assert 'http_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in body
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"}' in body


def test_metrics_label_requests_by_template_not_by_raw_path(settings: Settings) -> None:
    app = create_app(settings)
    items = APIRouter(prefix="/items")

    @items.get("/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app.include_router(items, prefix="/api/v1")
    with TestClient(app) as client:
        for item_id in (1, 2):
            client.get(f"/api/v1/items/{item_id}")
        client.get("/docs")
        client.post("/health")
        body = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/api/v1/items/{item_id}",status="200"} 2.0' in body
    assert 'http_requests_total{method="GET",route="/docs",status="200"} 1.0' in body
    assert 'http_requests_total{method="POST",route="/health",status="405"} 1.0' in body


def test_the_callers_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "checkout-42"})
    assert response.headers["X-Request-ID"] == "checkout-42"


def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_uuid(client: TestClient) -> None:
    for headers in ({}, {"X-Request-ID": "evil\tvalue with spaces"}):
        response = client.get("/health", headers=headers)
        assert uuid.UUID(response.headers["X-Request-ID"]).version == 4


def test_every_log_line_of_a_request_carries_its_request_id(settings: Settings) -> None:
    app = create_app(settings)
    log = structlog.get_logger("test")

    @app.get("/logs-something")
    def logs_something() -> dict[str, str]:
        log.info("inside the endpoint")
        return {}

    with TestClient(app) as client, structlog.testing.capture_logs([structlog.contextvars.merge_contextvars]) as logs:
        client.get("/logs-something", headers={"X-Request-ID": "req-1"})
    assert [entry["event"] for entry in logs] == ["inside the endpoint", "request"]
    assert {entry["request_id"] for entry in logs} == {"req-1"}
    assert logs[-1] | {"duration_ms": 0} == {
        "event": "request",
        "log_level": "info",
        "request_id": "req-1",
        "method": "GET",
        "path": "/logs-something",
        "route": "/logs-something",
        "status": 200,
        "duration_ms": 0,
    }


def test_an_unexpected_error_is_logged_with_the_request_id_and_answered_500(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("disk on fire")

    with TestClient(app) as client, structlog.testing.capture_logs([structlog.contextvars.merge_contextvars]) as logs:
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.json()["title"] == "Internal Server Error"
    error, access = logs
    assert (error["event"], error["request_id"], error["exc_info"]) == ("unhandled error", "req-500", True)
    assert (access["status"], access["route"], access["request_id"]) == (500, "/boom", "req-500")


def test_the_app_refuses_to_start_as_a_superuser_role(
    settings: Settings, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_url(owner_url)
    monkeypatch.setattr(infra_db, "app_role_password", lambda *_: owner.password or "")
    privileged = settings.model_copy(update={"DATABASE_APP_ROLE": owner.username})
    with pytest.raises(ConfigError, match="superuser"), TestClient(create_app(privileged)):
        pass


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Easy Ecom"
