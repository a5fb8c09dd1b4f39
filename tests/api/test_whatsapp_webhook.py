"""The WhatsApp webhook over the real app, PostgreSQL and Redis: handshake, signature, durable
inbox, tenant routing, statuses, body cap and rate-limit exemption, Redis outage."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.main import create_app
from domain.models import DeliveryStatus, InboxMessage, OutboundMessage, OutboundState
from infra.db import make_session_factory, transaction
from infra.queue import WHATSAPP_INBOX
from infra.settings import Settings
from tests.api.conftest import Shop, committed_shop
from tests.api.whatsapp_support import (
    APP_SECRET,
    VERIFY_TOKEN,
    bind_number,
    new_number,
    payload,
    signed,
    whatsapp_settings,
)

WEBHOOK = "/api/v1/chat/webhook"


@pytest.fixture
def wa_settings(settings: Settings) -> Settings:
    return whatsapp_settings(settings)


@pytest.fixture
def wa_client(wa_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(wa_settings)) as test_client:
        yield test_client


@pytest.fixture
def number(app_engine: Engine, shop: Shop) -> str:
    bound = new_number()
    bind_number(app_engine, shop.client_id, bound)
    return bound


def inbox_rows(app_engine: Engine, client_id: str) -> list[InboxMessage]:
    with transaction(make_session_factory(app_engine), client_id) as session:
        return list(session.scalars(select(InboxMessage).where(InboxMessage.client_id == client_id)))


def test_the_handshake_echoes_the_challenge_only_for_the_verify_token(wa_client: TestClient) -> None:
    ok = wa_client.get(
        WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = wa_client.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_a_signed_text_message_is_stored_once_and_queued(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str, redis_client: redis.Redis
) -> None:
    raw, headers = signed(payload("text", number))
    first = wa_client.post(WEBHOOK, content=raw, headers=headers)
    again = wa_client.post(WEBHOOK, content=raw, headers=headers)
    assert first.status_code == again.status_code == 200
    [row] = inbox_rows(app_engine, shop.client_id)
    assert row.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert (row.wa_id, row.contact_name, row.kind) == ("16505551234", "Sheena Nelson", "text")
    assert row.payload["text"]["body"] == "Does it come in another color?"
    queued = redis_client.xrange(WHATSAPP_INBOX)
    assert [fields for _, fields in queued] == [{"client_id": shop.client_id, "id": str(row.id)}]


@pytest.mark.parametrize("header", [None, "sha256=" + "0" * 64, "sha1=abc"])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str, header: str | None
) -> None:
    raw, _ = signed(payload("text", number))
    headers = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": header} if header else {})
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 401
    _, with_other_secret = signed(raw, secret=APP_SECRET + "x")
    assert wa_client.post(WEBHOOK, content=raw, headers=with_other_secret).status_code == 401
    tampered = raw.replace(b"another color", b"another colour")
    assert wa_client.post(WEBHOOK, content=tampered, headers=signed(raw)[1]).status_code == 401
    assert inbox_rows(app_engine, shop.client_id) == []


def test_each_entry_goes_to_the_client_that_owns_its_number(
    wa_client: TestClient, app_engine: Engine, settings: Settings, shop: Shop, number: str
) -> None:
    other = committed_shop(app_engine, settings)
    other_number = new_number()
    bind_number(app_engine, other.client_id, other_number)
    raw, headers = signed(payload("several_entries", number, other_number))
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    mine = inbox_rows(app_engine, shop.client_id)
    theirs = inbox_rows(app_engine, other.client_id)
    assert sorted(r.kind for r in mine) == ["sticker", "text"]
    assert {r.wa_user_id for r in mine} == {"US.13491208655302741918"}
    assert [(r.wa_id, r.contact_name) for r in theirs] == [("16505559876", "Pablo Morales")]


def test_an_unknown_number_is_acknowledged_and_stored_nowhere(
    wa_client: TestClient, app_engine: Engine, shop: Shop
) -> None:
    raw, headers = signed(payload("text", new_number()))
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    assert inbox_rows(app_engine, shop.client_id) == []


def test_the_environment_binds_its_number_to_the_demo_shop(
    settings: Settings, app_engine: Engine, redis_client: redis.Redis
) -> None:
    from domain import demo
    from domain.models import Client

    with transaction(make_session_factory(app_engine)) as session:
        if session.get(Client, demo.DEMO_CLIENT_ID) is None:
            from domain import tenancy

            tenancy.create_client(session, demo.DEMO_CLIENT_ID, "Demo")
    env_number = new_number()
    with TestClient(create_app(whatsapp_settings(settings, WHATSAPP_PHONE_NUMBER_ID=env_number))) as client:
        raw, headers = signed(payload("text", env_number, wamid_suffix=uuid.uuid4().hex))
        assert client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    assert [r.phone_number_id for r in inbox_rows(app_engine, demo.DEMO_CLIENT_ID)][-1:] == [env_number]


def test_statuses_are_recorded_against_our_outbound_messages(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str
) -> None:
    sessions = make_session_factory(app_engine)
    ids = {}
    with transaction(sessions, shop.client_id) as session:
        for wamid, key in (
            ("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJCMTE4RTUA", "a"),
            ("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "b"),
        ):
            row = OutboundMessage(
                client_id=shop.client_id,
                key=key,
                phone_number_id=number,
                to_wa_id="16505551234",
                kind="text",
                payload={"type": "text"},
                state=OutboundState.SENT,
                wamid=wamid,
            )
            session.add(row)
            session.flush()
            ids[key] = row.id
    raw, headers = signed(payload("statuses", number))
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    with transaction(sessions, shop.client_id) as session:
        read, failed = (session.get(OutboundMessage, ids[k]) for k in ("a", "b"))
        assert read.status is DeliveryStatus.READ
        assert read.delivered_at is not None
        assert read.read_at > read.delivered_at
        assert failed.status is DeliveryStatus.FAILED
        assert failed.error == "131047: Re-engagement message"


def test_a_body_over_three_megabytes_is_refused_but_one_over_the_api_limit_is_not(
    wa_client: TestClient, shop: Shop, number: str
) -> None:
    big = payload("text", number)
    big["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "x" * (2 * 1024 * 1024)
    raw, headers = signed(big)
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    too_big, headers = signed(b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert wa_client.post(WEBHOOK, content=too_big, headers=headers).status_code == 413


def test_the_webhook_is_not_rate_limited_per_ip(settings: Settings, shop: Shop, number: str) -> None:
    limited = whatsapp_settings(settings, RATE_LIMIT_PER_IP_PER_MINUTE=3)
    raw, headers = signed(payload("statuses", number))
    with TestClient(create_app(limited)) as client:
        assert [client.post(WEBHOOK, content=raw, headers=headers).status_code for _ in range(6)] == [200] * 6
        assert client.get("/api/v1/business", headers=shop.owner).status_code in (200, 429)
        codes = [client.get("/api/v1/business", headers=shop.owner).status_code for _ in range(4)]
        assert 429 in codes


def test_with_redis_down_the_message_is_still_stored_and_acknowledged(
    settings: Settings, app_engine: Engine, shop: Shop, number: str, tmp_path: Path
) -> None:
    down = whatsapp_settings(settings, REDIS_URL=f"unix://{tmp_path}/no-such-redis.sock")
    with TestClient(create_app(down)) as client:
        raw, headers = signed(payload("text", number))
        assert client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    assert len(inbox_rows(app_engine, shop.client_id)) == 1


def test_ten_concurrent_deliveries_of_one_payload_store_one_row(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str, redis_client: redis.Redis
) -> None:
    raw, headers = signed(payload("order", number))
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _: wa_client.post(WEBHOOK, content=raw, headers=headers).status_code, range(10)))
    assert codes == [200] * 10
    assert len(inbox_rows(app_engine, shop.client_id)) == 1
    assert redis_client.xlen(WHATSAPP_INBOX) == 1


def test_with_postgresql_unreachable_the_delivery_is_refused_with_503_so_meta_retries(
    wa_settings: Settings, shop: Shop, number: str
) -> None:
    from infra.db import make_engine

    unreachable = make_engine("postgresql://nobody:pw@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    with TestClient(create_app(wa_settings)) as client:
        client.app.state.runtime.sessions.configure(bind=unreachable)  # the database goes away
        raw, headers = signed(payload("text", number))
        refused = client.post(WEBHOOK, content=raw, headers=headers)
    unreachable.dispose()
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_signed_body_that_is_not_a_delivery_is_refused_with_a_problem(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str
) -> None:
    for raw in (b"not json", b'{"object": "whatsapp_business_account"}'):
        answer = wa_client.post(WEBHOOK, content=raw, headers=signed(raw)[1])
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    assert inbox_rows(app_engine, shop.client_id) == []


def test_a_signed_delivery_with_an_id_too_long_for_whatsapp_is_refused_and_nothing_is_stored(
    wa_client: TestClient, app_engine: Engine, shop: Shop, number: str
) -> None:
    body = payload("text", number)
    body["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "1" * 40
    answer = wa_client.post(WEBHOOK, content=signed(body)[0], headers=signed(body)[1])
    assert answer.status_code == 422
    assert "sender is longer than 32 characters" in answer.json()["detail"]
    assert inbox_rows(app_engine, shop.client_id) == []


def test_deliveries_are_counted_in_the_metrics(wa_client: TestClient, number: str) -> None:
    raw, headers = signed(payload("statuses", number))
    assert wa_client.post(WEBHOOK, content=raw, headers=headers).status_code == 200
    metrics = wa_client.get("/metrics").text
    assert 'http_requests_total{method="POST",route="/api/v1/chat/webhook",status="200"}' in metrics
