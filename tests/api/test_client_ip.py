"""TRUSTED_PROXIES: X-Forwarded-For is believed only from a trusted proxy, by the app and by
uvicorn (a live `easy-ecom api`)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.client_ip import client_ip
from api.main import create_app
from infra.settings import Settings
from tests.api.conftest import Shop
from tests.api.test_load import live_server
from tests.api.test_security_auth import LOGIN, credentials


def scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 50000), "headers": headers}


def networks(value: str) -> list:
    return Settings(_env_file=None, TRUSTED_PROXIES=value).trusted_proxies()


def test_by_default_no_proxy_is_trusted_and_the_peer_is_the_client() -> None:
    assert Settings(_env_file=None).TRUSTED_PROXIES == ""
    assert client_ip(scope("127.0.0.1", "1.2.3.4"), networks("")) == "127.0.0.1"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip(scope("198.51.100.7", "1.2.3.4"), networks("10.0.0.0/8")) == "198.51.100.7"


def test_a_trusted_proxy_gives_the_nearest_untrusted_hop() -> None:
    trusted = networks("10.0.0.5, 10.1.0.0/16")
    # The client may prepend anything; only what the trusted proxies appended counts.
    assert client_ip(scope("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.1.2.3"), trusted) == "203.0.113.9"
    assert client_ip(scope("10.0.0.5"), trusted) == "10.0.0.5"


def test_an_invalid_trusted_proxy_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings(_env_file=None, TRUSTED_PROXIES="10.0.0.1, proxy.internal")


def rotating_logins(post, shop: Shop) -> list[int]:
    """Six wrong logins, each claiming a different X-Forwarded-For."""
    return [
        post(
            LOGIN, json=credentials(shop, "clerk", "guess-guess"), headers={"X-Forwarded-For": f"192.0.2.{n}"}
        ).status_code
        for n in range(6)
    ]


def test_the_app_ignores_forwarded_for_from_an_untrusted_peer(settings: Settings, shop: Shop) -> None:
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        assert rotating_logins(client.post, shop) == [401] * 5 + [429]


def test_the_app_believes_forwarded_for_from_a_trusted_proxy(settings: Settings, shop: Shop) -> None:
    proxied = settings.model_copy(update={"TRUSTED_PROXIES": "10.0.0.5"})
    with TestClient(create_app(proxied), client=("10.0.0.5", 50000)) as client:
        assert rotating_logins(client.post, shop) == [401] * 6


def test_uvicorn_does_not_trust_forwarded_for_from_loopback_by_default(settings: Settings, shop: Shop) -> None:
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        assert rotating_logins(client.post, shop) == [401] * 5 + [429]


def test_uvicorn_trusts_forwarded_for_from_trusted_proxies(settings: Settings, shop: Shop) -> None:
    with live_server(settings, TRUSTED_PROXIES="127.0.0.1") as base, httpx.Client(base_url=base) as client:
        assert rotating_logins(client.post, shop) == [401] * 6
