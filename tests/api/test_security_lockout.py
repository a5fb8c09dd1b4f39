"""Login lockout per (username, source IP) and per username, the owner's and the superadmin's
unlock, the console's per-username count, and what happens with Redis actually stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from domain.auth import LoginLockout
from domain.errors import RateLimited
from infra.embedded import start_redis, stop_redis
from infra.local_counters import LocalCounters
from infra.settings import Settings
from tests.api.conftest import Shop
from tests.api.flows import V1, ok
from tests.api.test_security_auth import LOGIN, audit_events, credentials

ATTACKER = ("198.51.100.66", 40000)
OWNER_DESK = ("203.0.113.10", 40001)


def from_ip(settings: Settings, peer: tuple[str, int], **overrides: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=overrides)), client=peer)


def test_five_failures_from_one_address_lock_only_that_address(settings: Settings, shop: Shop) -> None:
    with from_ip(settings, ATTACKER) as attacker, from_ip(settings, OWNER_DESK) as owner:
        for _ in range(5):
            assert attacker.post(LOGIN, json=credentials(shop, "owner", "guess-guess")).status_code == 401
        locked = attacker.post(LOGIN, json=credentials(shop, "owner", "owner-password"))
        assert locked.status_code == 429
        assert "from this address" in locked.json()["detail"]
        assert owner.post(LOGIN, json=credentials(shop, "owner", "owner-password")).status_code == 200


def test_fifty_failures_from_many_addresses_lock_the_username_everywhere(redis_client: redis.Redis) -> None:
    lockout = LoginLockout(redis_client, LocalCounters())
    for n in range(50):
        ip = f"192.0.2.{n}"
        lockout.check("shop_a", "owner", ip)
        lockout.failed("shop_a", "owner", ip)
    with pytest.raises(RateLimited, match="too many failed logins for 'owner'; try again"):
        lockout.check("shop_a", "owner", "203.0.113.10")
    lockout.check("shop_a", "clerk", "203.0.113.10")  # another username is untouched
    lockout.check("shop_b", "owner", "203.0.113.10")  # and the same username of another business


def test_a_login_without_an_address_uses_the_per_username_count(redis_client: redis.Redis) -> None:
    lockout = LoginLockout(redis_client, LocalCounters())
    for _ in range(5):
        lockout.failed("shop_a", "clerk", "198.51.100.66")
    lockout.check("shop_a", "clerk", None)  # five from one address do not lock the console out
    for _ in range(45):
        lockout.failed("shop_a", "clerk", None)
    with pytest.raises(RateLimited):
        lockout.check("shop_a", "clerk", None)


def test_the_owner_unlocks_a_staff_member_and_it_is_audited(settings: Settings, app_engine: Engine, shop: Shop) -> None:
    with from_ip(settings, ATTACKER) as client:
        for _ in range(5):
            client.post(LOGIN, json=credentials(shop, "clerk", "guess-guess"))
        assert client.post(LOGIN, json=credentials(shop, "clerk", "clerk-password")).status_code == 429
        assert client.post(f"{V1}/users/{shop.staff_id}/unlock", headers=shop.staff).status_code == 403
        unlocked = ok(client.post(f"{V1}/users/{shop.staff_id}/unlock", headers=shop.owner))
        assert unlocked["username"] == "clerk"
        assert client.post(LOGIN, json=credentials(shop, "clerk", "clerk-password")).status_code == 200
    [event] = audit_events(app_engine, shop.client_id, "user_unlocked")
    assert (event.target_id, event.actor_user_id) == (str(shop.staff_id), shop.owner_id)


def test_the_superadmin_unlocks_an_owner(
    settings: Settings, app_engine: Engine, shop: Shop, root: dict[str, str]
) -> None:
    with from_ip(settings, ATTACKER) as client:
        for _ in range(5):
            client.post(LOGIN, json=credentials(shop, "owner", "guess-guess"))
        assert client.post(LOGIN, json=credentials(shop, "owner", "owner-password")).status_code == 429
        assert client.post(f"{V1}/admin/users/{shop.owner_id}/unlock", headers=shop.owner).status_code == 403
        assert ok(client.post(f"{V1}/admin/users/{shop.owner_id}/unlock", headers=root))["role"] == "owner"
        assert client.post(LOGIN, json=credentials(shop, "owner", "owner-password")).status_code == 200
    [event] = audit_events(app_engine, shop.client_id, "user_unlocked")
    assert (event.target_id, event.actor_name) == (str(shop.owner_id), "superadmin:root")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, object]]:
    """A Redis server of this test's own, which the test may stop."""
    url, process = start_redis(tmp_path / "redis")
    yield url, process
    stop_redis(process)


def test_with_redis_stopped_guessing_is_still_locked_out_limits_still_count_and_ready_says_degraded(
    settings: Settings, shop: Shop, own_redis: tuple[str, object]
) -> None:
    url, process = own_redis
    with from_ip(settings, ATTACKER, REDIS_URL=url, RATE_LIMIT_PER_IP_PER_MINUTE=12) as client:
        assert client.post(LOGIN, json=credentials(shop, "owner", "guess-guess")).status_code == 401
        assert client.get("/ready").json()["checks"]["redis"] == "ok"
        stop_redis(process)  # Redis really goes away mid-run
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "degraded"}}
        # The failure counted in Redis is gone with it; this process counts from zero, still 5 per address.
        statuses = [client.post(LOGIN, json=credentials(shop, "owner", "guess-guess")).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        assert client.post(LOGIN, json=credentials(shop, "owner", "owner-password")).status_code == 429
        # The request limit per IP goes on counting in this process: 12 a minute, 1 used before Redis
        # stopped (this process counted it too) and 7 since.
        answered = [client.get(f"{V1}/products", headers=shop.owner).status_code for _ in range(5)]
        assert answered == [200] * 4 + [429]


def test_with_redis_stopped_the_per_username_limit_is_stricter(tmp_path: Path) -> None:
    url, process = start_redis(tmp_path / "redis")
    stop_redis(process)
    lockout = LoginLockout(redis.Redis.from_url(url, socket_connect_timeout=0.5), LocalCounters())
    for n in range(10):
        lockout.check("shop_a", "owner", f"192.0.2.{n}")
        lockout.failed("shop_a", "owner", f"192.0.2.{n}")
    with pytest.raises(RateLimited):
        lockout.check("shop_a", "owner", "203.0.113.10")
