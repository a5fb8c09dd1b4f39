"""Resource limits: per-IP and per-client rate limits (429 + Retry-After), the request body size
limit (413, with and without Content-Length), page size caps; without Redis rate limits count in
the process (fail safe, not open)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import structlog
from fastapi.testclient import TestClient

from api.limits import RequestLimiter
from api.main import create_app
from domain.errors import RateLimited
from infra.settings import Settings
from tests.api.conftest import Shop

V1 = "/api/v1"


def app_client(settings: Settings, **overrides: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=overrides)))


def assert_rate_limited(response, what: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["status"]) == ("/problems/rate_limited", 429)
    assert what in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert body["retry_after"] == int(response.headers["Retry-After"])


def test_one_ip_gets_429_with_retry_after_past_its_quota(settings: Settings, shop: Shop) -> None:
    with app_client(settings, RATE_LIMIT_PER_IP_PER_MINUTE=3) as client:
        # Every /api/v1 request counts, authenticated or not, whatever its answer.
        statuses = [
            client.get(f"{V1}/products", headers=shop.owner).status_code,
            client.get(f"{V1}/orders").status_code,
            client.get(f"{V1}/no-such-route").status_code,
        ]
        assert statuses == [200, 401, 404]
        assert_rate_limited(client.get(f"{V1}/products", headers=shop.owner), "requests from testclient")
        assert_rate_limited(client.post(f"{V1}/auth/login", json={}), "requests from testclient")
        assert client.get("/health").status_code == 200  # probes and metrics are not /api/v1


def test_one_business_gets_429_past_its_quota_whoever_of_its_users_asks(
    settings: Settings, shop: Shop, other_shop: Shop
) -> None:
    with app_client(settings, RATE_LIMIT_PER_CLIENT_PER_MINUTE=3) as client:
        for headers in (shop.owner, shop.staff, shop.owner):
            assert client.get(f"{V1}/products", headers=headers).status_code == 200
        assert_rate_limited(client.get(f"{V1}/orders", headers=shop.staff), "requests for this account")
        assert client.get(f"{V1}/products", headers=other_shop.owner).status_code == 200


def test_a_forged_token_counts_only_against_the_ip(settings: Settings, shop: Shop) -> None:
    forged = {"Authorization": shop.owner["Authorization"][:-4] + "AAAA"}
    with app_client(settings, RATE_LIMIT_PER_CLIENT_PER_MINUTE=2) as client:
        for _ in range(3):
            assert client.get(f"{V1}/products", headers=forged).status_code == 401
        assert client.get(f"{V1}/products", headers=shop.owner).status_code == 200


def test_without_redis_requests_and_logins_still_work_within_limits_counted_in_process(
    settings: Settings, shop: Shop, tmp_path: Path
) -> None:
    redis_down = f"unix://{tmp_path}/no-such-redis.sock"
    with (
        app_client(settings, REDIS_URL=redis_down, RATE_LIMIT_PER_IP_PER_MINUTE=3) as client,
        structlog.testing.capture_logs() as logs,
    ):
        for _ in range(2):
            assert client.get(f"{V1}/products", headers=shop.owner).status_code == 200
        login = {"client_id": shop.client_id, "username": "owner", "password": "owner-password"}
        assert client.post(f"{V1}/auth/login", json=login).status_code == 200
        assert_rate_limited(client.get(f"{V1}/products", headers=shop.owner), "requests from testclient")
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert warnings
    assert all(entry["event"].endswith("Redis unavailable") for entry in warnings)
    assert "rate limit counted in this process: Redis unavailable" in {entry["event"] for entry in warnings}


def evalsha_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def test_processes_share_their_counts_through_redis_without_a_round_trip_per_request(
    redis_client: redis.Redis, server_urls: tuple[str, str]
) -> None:
    """Two API processes' limiters on one Redis: each counts locally, and the counts add up there."""

    async def scenario() -> None:
        first, second = RequestLimiter(5, 1000, sync_s=0.05), RequestLimiter(5, 1000, sync_s=0.05)
        for limiter in (first, second):
            limiter.connect(server_urls[1])
        calls_before = evalsha_calls(redis_client)
        for _ in range(4):
            first.check("10.0.0.1", None)  # four requests: under the limit of 5, no Redis call yet
        assert evalsha_calls(redis_client) == calls_before
        await asyncio.sleep(0.3)  # the process adds its hits by itself, in one call
        assert redis_client.get("rl:ip:10.0.0.1") == "4"
        assert evalsha_calls(redis_client) - calls_before == 1
        second.check("10.0.0.1", None)  # the other process's 5th: it does not know the 4 yet
        await second.sync()
        assert redis_client.get("rl:ip:10.0.0.1") == "5"
        with pytest.raises(RateLimited) as refused:
            second.check("10.0.0.1", None)  # the 6th, anywhere, is over
        assert 1 <= refused.value.retry_after <= 60
        first.check("10.0.0.1", None)  # the bound: first knows 4 of its own, not the other's 2
        await first.sync()  # ... until its next sync, ≤ sync_s later
        with pytest.raises(RateLimited):
            first.check("10.0.0.1", None)
        first.check("10.0.0.2", None)  # another address has its own count
        for limiter in (first, second):
            await limiter.close()
        assert redis_client.get("rl:ip:10.0.0.1") == "8"  # the refused ones count too; close adds the last
        assert redis_client.get("rl:ip:10.0.0.2") == "1"

    asyncio.run(scenario())


def test_hits_counted_while_redis_was_down_are_added_when_it_answers(
    redis_client: redis.Redis, server_urls: tuple[str, str], tmp_path: Path
) -> None:
    async def scenario() -> None:
        limiter = RequestLimiter(3, 1000, pause_s=0)
        limiter.connect(f"unix://{tmp_path}/no-such-redis.sock")
        for _ in range(3):
            limiter.check("10.0.0.3", None)
        with structlog.testing.capture_logs() as logs:
            await limiter.sync()
        assert logs[0]["event"] == "rate limit counted in this process: Redis unavailable"
        with pytest.raises(RateLimited):
            limiter.check("10.0.0.3", None)  # still counted here: the 4th is over
        await limiter.close()
        limiter.connect(server_urls[1])  # Redis is back
        await limiter.sync()
        assert redis_client.get("rl:ip:10.0.0.3") == "4"
        await limiter.close()

    asyncio.run(scenario())


def too_big_product(size: int) -> bytes:
    body = {"name": "Big", "description": "x" * size, "variants": [{"sku": "BIG-1", "price": "1.00"}]}
    return json.dumps(body).encode()


def assert_too_large(response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert "larger than 4096 bytes" in response.json()["detail"]


def test_a_body_over_the_limit_is_refused_by_its_content_length(settings: Settings, shop: Shop) -> None:
    with app_client(settings, MAX_REQUEST_BODY_BYTES=4096) as client:
        response = client.post(
            f"{V1}/products", content=too_big_product(5000), headers=shop.owner | {"Content-Type": "application/json"}
        )
        assert_too_large(response)
        assert client.get(f"{V1}/products", headers=shop.owner).json()["total"] == 0


def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(settings: Settings, shop: Shop) -> None:
    def chunks(body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    headers = shop.owner | {"Content-Type": "application/json"}
    with app_client(settings, MAX_REQUEST_BODY_BYTES=4096) as client:
        refused = client.post(f"{V1}/products", content=chunks(too_big_product(5000)), headers=headers)
        assert "content-length" not in {name.lower() for name in refused.request.headers}
        assert_too_large(refused)
        accepted = client.post(f"{V1}/products", content=chunks(too_big_product(3000)), headers=headers)
        assert accepted.status_code == 201, accepted.text


def test_page_sizes_are_capped_at_100(client: TestClient, shop: Shop) -> None:
    assert client.get(f"{V1}/products", params={"limit": 100}, headers=shop.owner).status_code == 200
    for path in ("products", "orders", "inventory/movements", "returns", "sessions/logs"):
        response = client.get(f"{V1}/{path}", params={"limit": 101}, headers=shop.owner)
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"
