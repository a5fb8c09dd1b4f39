"""The webhook's group commit (InboxWriter) over real PostgreSQL and Redis: the deliveries waiting
together are written in one batch, a wamid twice in a batch is stored and queued once, a delivery
that fails fails alone, PostgreSQL down fails the batch, Redis down still stores it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError, OperationalError

from api.whatsapp.inbox import InboxWriter
from domain import messaging
from domain.messaging import Delivery
from domain.models import InboxMessage
from graph.runtime import Runtime, open_runtime
from infra.db import make_engine, make_session_factory, transaction
from infra.queue import WHATSAPP_INBOX
from infra.settings import Settings
from tests.api.conftest import Shop
from tests.api.whatsapp_support import bind_number, new_number, payload, whatsapp_settings


@pytest.fixture
def number(app_engine: Engine, shop: Shop) -> str:
    bound = new_number()
    bind_number(app_engine, shop.client_id, bound)
    return bound


@pytest.fixture
def runtime(settings: Settings, redis_client: redis.Redis) -> Iterator[Runtime]:
    with open_runtime(whatsapp_settings(settings)) as opened:
        yield opened


def text_delivery(number: str, suffix: str, *, wa_id: str | None = None) -> Delivery:
    """A parsed text delivery; `wa_id` replaces the sender after parsing (which refuses ids too long
    for the inbox), so the database is what refuses it."""
    delivery = messaging.parse_delivery(payload("text", number, wamid_suffix=suffix))
    if wa_id is None:
        return delivery
    return dataclasses.replace(delivery, messages=[dataclasses.replace(m, wa_id=wa_id) for m in delivery.messages])


def write_in_one_batch(runtime: Runtime, deliveries: list[Delivery]) -> list[BaseException | None]:
    """Store `deliveries` concurrently, all waiting before the writer starts (so it takes them in
    one batch); return each one's outcome (None: committed)."""

    async def store_all() -> list[BaseException | None]:
        writer = InboxWriter(runtime, threads=1)
        waiting = [asyncio.create_task(writer.store(delivery)) for delivery in deliveries]
        await asyncio.sleep(0)  # every store is queued
        writer.start()
        try:
            return await asyncio.gather(*waiting, return_exceptions=True)
        finally:
            writer.close()

    return asyncio.run(store_all())


def stored_wamids(app_engine: Engine, client_id: str) -> list[str]:
    with transaction(make_session_factory(app_engine), client_id) as session:
        return sorted(session.scalars(select(InboxMessage.wamid).where(InboxMessage.client_id == client_id)))


def test_a_wamid_twice_in_one_batch_is_stored_and_queued_once(
    runtime: Runtime, app_engine: Engine, shop: Shop, number: str, redis_client: redis.Redis
) -> None:
    first, again, other = text_delivery(number, ".a"), text_delivery(number, ".a"), text_delivery(number, ".b")
    assert write_in_one_batch(runtime, [first, again, other]) == [None, None, None]
    wamids = stored_wamids(app_engine, shop.client_id)
    assert [w[-2:] for w in wamids] == [".a", ".b"]
    assert len(redis_client.xrange(WHATSAPP_INBOX)) == 2
    assert write_in_one_batch(runtime, [again]) == [None]  # Meta delivers it once more
    assert len(stored_wamids(app_engine, shop.client_id)) == 2
    assert len(redis_client.xrange(WHATSAPP_INBOX)) == 2


def test_a_delivery_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(
    runtime: Runtime, app_engine: Engine, shop: Shop, number: str
) -> None:
    too_long_sender = "1" * 40  # whatsapp_inbox.wa_id holds 32 characters
    batch = [text_delivery(number, ".ok1"), text_delivery(number, ".bad", wa_id=too_long_sender)]
    batch.append(text_delivery(number, ".ok2"))
    first, refused, last = write_in_one_batch(runtime, batch)
    assert (first, last) == (None, None)
    assert isinstance(refused, DataError)
    assert [w[-4:] for w in stored_wamids(app_engine, shop.client_id)] == [".ok1", ".ok2"]


def test_with_postgresql_unreachable_every_delivery_of_the_batch_fails_and_none_is_stored(
    runtime: Runtime, app_engine: Engine, shop: Shop, number: str
) -> None:
    unreachable = make_engine("postgresql://nobody:pw@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    runtime.sessions.configure(bind=unreachable)
    try:
        outcomes = write_in_one_batch(runtime, [text_delivery(number, ".x"), text_delivery(number, ".y")])
    finally:
        runtime.sessions.configure(bind=runtime.engine)
        unreachable.dispose()
    assert [type(error) for error in outcomes] == [OperationalError, OperationalError]
    assert stored_wamids(app_engine, shop.client_id) == []


def test_with_redis_down_the_batch_is_still_committed(
    settings: Settings, app_engine: Engine, shop: Shop, number: str, tmp_path: Path
) -> None:
    down = whatsapp_settings(settings, REDIS_URL=f"unix://{tmp_path}/no-such-redis.sock")
    with open_runtime(down) as runtime:
        outcomes = write_in_one_batch(runtime, [text_delivery(number, ".r1"), text_delivery(number, ".r2")])
    assert outcomes == [None, None]
    assert [w[-3:] for w in stored_wamids(app_engine, shop.client_id)] == [".r1", ".r2"]
