"""The WhatsApp worker over real PostgreSQL and Redis, the real graph (offline model) and a fake
Graph API at the HTTP boundary (respx): exactly one reply per inbound message under duplicates,
several workers, a worker that dies or hangs, a Redis outage; retries on 429 and 5xx; the dead
letters; media, orders, STOP/START, off-hours, the 24-hour window, handoff."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from api.main import create_app
from api.whatsapp.inbox import accept
from api.whatsapp.worker import Worker
from domain import messaging, orders
from domain.context import Context
from domain.models import (
    Channel,
    Customer,
    InboxMessage,
    InboxState,
    MessageTemplate,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundState,
    Role,
)
from domain.models.base import utcnow
from graph.offline import OfflineChatModel
from graph.runtime import Runtime, open_runtime
from infra import queue
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api import flows
from tests.api.conftest import Shop
from tests.api.test_orders_api import add_product
from tests.api.whatsapp_support import (
    GRAPH,
    TOKEN,
    VERSION,
    bind_number,
    connect_whatsapp,
    fake_graph,
    new_number,
    payload,
    signed,
    whatsapp_settings,
)


@pytest.fixture
def wa_settings(settings: Settings) -> Settings:
    return whatsapp_settings(settings)


@pytest.fixture
def number(app_engine: Engine, shop: Shop, settings: Settings) -> str:
    """The shop's WhatsApp number, with an access token, open around the clock."""
    return connect_whatsapp(app_engine, settings, shop.client_id)


@pytest.fixture
def runtime(wa_settings: Settings, redis_client: redis.Redis) -> Iterator[Runtime]:
    with open_runtime(wa_settings) as opened:
        opened.whatsapp.sleep = lambda seconds: None  # backoff without waiting
        yield opened


@pytest.fixture
def graph_api(number: str) -> Iterator[respx.MockRouter]:
    """The Graph API's /messages for the shop's number, answering a fresh wamid per call."""
    with fake_graph(number) as router:
        yield router


def make_worker(runtime: Runtime, **options: Any) -> Worker:
    return Worker(runtime, block_ms=20, stale_after=timedelta(days=1), **options)


def drain(worker: Worker, rounds: int = 30) -> None:
    """Run the worker until it finds nothing to do."""
    for _ in range(rounds):
        worker._polled_at = 0.0
        jobs = worker.due_sweeps()  # sweeps enqueue first, so this round's poll reads them
        jobs += worker.poll()
        if not jobs:
            return
        for job in jobs:
            worker.run_job(job)


def deliver(runtime: Runtime, body: dict[str, Any]) -> list[messaging.Stale]:
    return accept(runtime, messaging.parse_delivery(body))


def sent_texts(router: respx.MockRouter) -> list[dict[str, Any]]:
    import json

    return [json.loads(call.request.content) for call in router["send"].calls]


def outbound(app_engine: Engine, client_id: str) -> list[OutboundMessage]:
    with transaction(make_session_factory(app_engine), client_id) as session:
        query = select(OutboundMessage).where(OutboundMessage.client_id == client_id)
        return list(session.scalars(query.order_by(OutboundMessage.created_at)))


def inbox(app_engine: Engine, client_id: str) -> list[InboxMessage]:
    with transaction(make_session_factory(app_engine), client_id) as session:
        return list(session.scalars(select(InboxMessage).where(InboxMessage.client_id == client_id)))


def test_a_text_message_is_answered_once_by_the_agent_on_the_customers_thread(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    [sent] = sent_texts(graph_api)
    assert sent["messaging_product"] == "whatsapp"
    assert sent["to"] == "16505551234"
    assert sent["type"] == "text"
    assert sent["text"]["body"]
    assert graph_api["send"].calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    [row] = inbox(app_engine, shop.client_id)
    [out] = outbound(app_engine, shop.client_id)
    assert row.state is InboxState.DONE
    assert row.customer_id is not None
    assert (out.state, out.key) == (OutboundState.SENT, f"reply:{row.id}")
    assert out.wamid.startswith("wamid.out.")
    assert out.input_tokens > 0
    assert out.turn_ms >= out.llm_ms >= 0
    with transaction(make_session_factory(app_engine), shop.client_id) as session:
        customer = session.get(Customer, row.customer_id)
        assert (customer.wa_id, customer.name, customer.phone) == ("16505551234", "Sheena Nelson", "+16505551234")
    state = runtime.conversations.checkpointer.get_tuple(
        {"configurable": {"thread_id": f"whatsapp:{shop.client_id}:{row.customer_id}:main"}}
    )
    assert state is not None


def test_the_same_payload_delivered_ten_times_concurrently_gets_one_reply(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    raw, headers = signed(payload("text", number))
    with TestClient(create_app(wa_settings)) as client, concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(
            pool.map(lambda _: client.post("/api/v1/chat/webhook", content=raw, headers=headers).status_code, range(10))
        )
    assert codes == [200] * 10
    [row] = inbox(app_engine, shop.client_id)
    for _ in range(3):  # the sweeper and duplicate entries too: three more entries for the same row
        queue.enqueue_rows(runtime.redis, queue.WHATSAPP_INBOX, [(shop.client_id, row.id)])
    workers = [make_worker(runtime, consumer=f"w{i}") for i in range(3)]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(drain, workers))
    assert graph_api["send"].call_count == 1
    assert len(outbound(app_engine, shop.client_id)) == 1


def test_a_worker_that_died_before_its_turn_is_replaced_and_the_customer_gets_one_reply(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, payload("text", number))
    client = runtime.redis
    queue.ensure_group(client, queue.WHATSAPP_INBOX)
    [entry] = queue.read_new(client, [queue.WHATSAPP_INBOX], "doomed", 10, 10)  # received, never acknowledged
    with transaction(runtime.sessions, shop.client_id) as session:
        assert messaging.claim(session, shop.client_id, queue.row_of(entry)[1], lease_s=0.2) is not None
    rescuer = make_worker(runtime, claim_idle_ms=100)
    threading.Event().wait(0.3)
    drain(rescuer)
    assert graph_api["send"].call_count == 1
    [row] = inbox(app_engine, shop.client_id)
    assert (row.state, row.attempts) == (InboxState.DONE, 2)
    assert client.xpending(queue.WHATSAPP_INBOX, queue.GROUP)["pending"] == 0


def test_a_worker_that_died_after_recording_its_reply_does_not_make_a_second_one(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    [job] = deliver(runtime, payload("text", number))
    doomed = make_worker(runtime)
    with transaction(runtime.sessions, shop.client_id) as session:
        row = messaging.claim(session, shop.client_id, job.id, lease_s=0.1)
    doomed._respond(row)  # the reply is recorded, the send never happens: the worker dies here
    drain(make_worker(runtime, claim_idle_ms=0))
    assert graph_api["send"].call_count == 1
    [out] = outbound(app_engine, shop.client_id)
    assert out.state is OutboundState.SENT


class GatedModel(OfflineChatModel):
    """The offline model, stopping inside its first call until released (a worker hung mid-turn)."""

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        if not GATE["entered"].is_set():
            GATE["entered"].set()
            GATE["release"].wait(30)
        return super()._generate(messages, stop, run_manager, **kwargs)


GATE: dict[str, threading.Event] = {}


def test_a_worker_stuck_mid_turn_is_reclaimed_and_the_customer_still_gets_one_reply(
    wa_settings: Settings,
    redis_client: redis.Redis,
    graph_api: respx.MockRouter,
    app_engine: Engine,
    shop: Shop,
    number: str,
) -> None:
    GATE.update(entered=threading.Event(), release=threading.Event())
    with open_runtime(wa_settings, chat_model=GatedModel()) as runtime:
        deliver(runtime, payload("text", number))
        stuck = make_worker(runtime, consumer="stuck", lease_s=0.3)
        hung = threading.Thread(target=drain, args=(stuck,), daemon=True)
        hung.start()
        assert GATE["entered"].wait(20)
        rescuer = make_worker(runtime, consumer="rescuer", claim_idle_ms=200, lease_s=30)
        threading.Event().wait(0.5)  # the stuck worker's lease and its entry's idle time run out
        rescue = threading.Thread(target=drain, args=(rescuer,))
        rescue.start()
        threading.Event().wait(0.5)
        GATE["release"].set()  # the stuck worker wakes up late, like a paused process
        hung.join(30)
        rescue.join(30)
        assert graph_api["send"].call_count == 1
        [out] = outbound(app_engine, shop.client_id)
        assert out.state is OutboundState.SENT
        [row] = inbox(app_engine, shop.client_id)
        assert row.state is InboxState.DONE
        assert row.attempts == 2


def test_with_redis_down_nothing_is_lost_and_the_sweeper_brings_the_message_back(
    wa_settings: Settings,
    runtime: Runtime,
    graph_api: respx.MockRouter,
    app_engine: Engine,
    shop: Shop,
    number: str,
    tmp_path: Path,
) -> None:
    down = wa_settings.model_copy(update={"REDIS_URL": f"unix://{tmp_path}/no-such-redis.sock"})
    with TestClient(create_app(down)) as client:
        raw, headers = signed(payload("text", number))
        assert client.post("/api/v1/chat/webhook", content=raw, headers=headers).status_code == 200
    assert runtime.redis.exists(queue.WHATSAPP_INBOX) == 0  # nothing was queued
    [row] = inbox(app_engine, shop.client_id)
    with transaction(runtime.sessions, shop.client_id) as session:
        session.execute(
            update(InboxMessage).where(InboxMessage.id == row.id).values(received_at=utcnow() - timedelta(seconds=31))
        )
    drain(Worker(runtime, block_ms=20))  # the default sweeper: rows older than 30 s
    assert graph_api["send"].call_count == 1
    assert inbox(app_engine, shop.client_id)[0].state is InboxState.DONE


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, headers={"Retry-After": "1"}, json={"error": {"message": "rate", "code": 4}}),
        httpx.Response(503, json={"error": {"message": "unavailable", "code": 2}}),
        httpx.Response(400, json={"error": {"message": "(#130429) Rate limit hit", "code": 130429}}),
    ],
)
def test_graph_429_5xx_and_130429_are_retried_until_sent(
    runtime: Runtime, app_engine: Engine, shop: Shop, number: str, failure: httpx.Response
) -> None:
    waits: list[float] = []
    runtime.whatsapp.sleep = waits.append
    with respx.mock(base_url=f"{GRAPH}/{VERSION}") as router:
        route = router.post(f"/{number}/messages").mock(
            side_effect=[failure, failure, httpx.Response(200, json={"messages": [{"id": f"wamid.ok.{number}"}]})]
        )
        deliver(runtime, payload("text", number))
        drain(make_worker(runtime))
    assert route.call_count == 3
    assert len(waits) == 2
    assert all(w > 0 for w in waits)
    [out] = outbound(app_engine, shop.client_id)
    assert (out.state, out.wamid) == (OutboundState.SENT, f"wamid.ok.{number}")


def test_after_five_failed_sends_the_message_is_dead_and_the_owner_can_see_and_retry_it(
    wa_settings: Settings, runtime: Runtime, app_engine: Engine, shop: Shop, number: str
) -> None:
    with respx.mock(base_url=f"{GRAPH}/{VERSION}") as router:
        route = router.post(f"/{number}/messages").mock(
            return_value=httpx.Response(400, json={"error": {"message": "Invalid parameter", "code": 100}})
        )
        deliver(runtime, payload("text", number))
        worker = make_worker(runtime)
        for _ in range(5):
            drain(worker)
            with transaction(runtime.sessions, shop.client_id) as session:
                session.execute(update(OutboundMessage).values(lease_until=None))
    assert route.call_count == 5  # not retried inside the client: 400 is final
    [out] = outbound(app_engine, shop.client_id)
    assert (out.state, out.attempts) == (OutboundState.DEAD, 5)
    assert "Invalid parameter" in out.error
    with TestClient(create_app(wa_settings)) as client:
        log = client.get("/api/v1/chat/messages", headers=shop.staff).json()
        assert [line["state"] for line in log if line["direction"] == "out"] == ["dead"]
        assert client.post(f"/api/v1/chat/messages/{out.id}/retry", headers=shop.staff).status_code == 403
        retried = client.post(f"/api/v1/chat/messages/{out.id}/retry", headers=shop.owner)
        assert retried.status_code == 202
        assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    with respx.mock() as router:
        route = router.post(f"{GRAPH}/{VERSION}/{number}/messages").mock(
            return_value=httpx.Response(200, json={"messages": [{"id": f"wamid.retried.{number}"}]})
        )
        drain(make_worker(runtime))
    assert route.call_count == 1
    assert outbound(app_engine, shop.client_id)[0].state is OutboundState.SENT


def test_an_inbound_message_that_keeps_failing_goes_to_the_dead_letters_and_can_be_retried(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    [job] = deliver(runtime, payload("text", number))
    with transaction(runtime.sessions, shop.client_id) as session:
        session.execute(
            update(InboxMessage).where(InboxMessage.id == job.id).values(attempts=5, state=InboxState.PROCESSING)
        )
    drain(make_worker(runtime))
    assert inbox(app_engine, shop.client_id)[0].state is InboxState.DEAD
    assert graph_api["send"].call_count == 0
    with TestClient(create_app(wa_settings)) as client:
        dead = client.get("/api/v1/chat/inbox", params={"state": "dead"}, headers=shop.owner).json()
        assert [item["id"] for item in dead["items"]] == [str(job.id)]
        assert client.post(f"/api/v1/chat/inbox/{job.id}/retry", headers=shop.staff).status_code == 403
        assert client.post(f"/api/v1/chat/inbox/{job.id}/retry", headers=shop.owner).status_code == 200
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 1
    assert inbox(app_engine, shop.client_id)[0].state is InboxState.DONE


def test_an_image_is_downloaded_with_the_token_and_answered_with_matching_products(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    from domain.pictures import encode, product_picture

    with TestClient(create_app(wa_settings)) as client:
        created = client.post(
            "/api/v1/products",
            json={"name": "Red Mug", "category": "home", "variants": [{"sku": "RED-MUG", "price": "12.00"}]},
            headers=shop.owner,
        )
        product_id = created.json()["id"]
        picture = encode(product_picture(3, size=120))
        uploaded = client.post(
            f"/api/v1/products/{product_id}/images",
            files={"file": ("mug.png", picture, "image/png")},
            headers=shop.owner,
        )
        assert uploaded.status_code == 201, uploaded.text
    media_url = "https://lookaside.test/whatsapp_business/attachments/?mid=1003383421387256"
    graph_api.get(f"{GRAPH}/{VERSION}/1003383421387256").mock(
        return_value=httpx.Response(200, json={"url": media_url, "mime_type": "image/png", "id": "1003383421387256"})
    )
    graph_api.get(media_url).mock(return_value=httpx.Response(200, content=picture))
    deliver(runtime, payload("image", number))
    drain(make_worker(runtime))
    media_calls = [c for c in graph_api.calls if c.request.url == media_url]
    assert len(media_calls) == 1
    assert media_calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    [sent] = sent_texts(graph_api)
    assert sent["type"] == "interactive"
    assert sent["interactive"]["type"] == "list"
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["id"] == f"product:{product_id}"
    assert len(rows) <= messaging.MAX_LIST_ROWS


def test_a_catalog_order_becomes_a_pending_order_for_the_customer(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        add_product(client, shop, "di9ozbzfi4", "30.00", stock=5)
        add_product(client, shop, "nqryix03ez", "25.00", stock=5)
    deliver(runtime, payload("order", number))
    drain(make_worker(runtime))
    with transaction(runtime.sessions, shop.client_id) as session:
        [order] = session.scalars(select(Order).where(Order.client_id == shop.client_id))
        customer = session.get(Customer, order.customer_id)
    assert order.status is OrderStatus.PENDING
    assert order.total == Decimal("85.00")
    assert customer.wa_id == "16505551234"
    [sent] = sent_texts(graph_api)
    assert f"Order #{order.number}" in sent["text"]["body"]
    assert "85.00" in sent["text"]["body"]


def test_an_unsupported_message_gets_a_polite_reply_saying_what_works(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    other = new_number()
    deliver(runtime, payload("several_entries", number, other))
    drain(make_worker(runtime))
    bodies = sorted(s["text"]["body"] for s in sent_texts(graph_api))
    assert len(bodies) == 2
    assert any("cannot read sticker messages" in body and "photo" in body for body in bodies)


def test_stop_silences_notifications_but_not_replies_and_start_restores_them(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    stop = payload("text", number)
    stop["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "STOP"
    deliver(runtime, stop)
    drain(make_worker(runtime))
    assert "no more messages" in sent_texts(graph_api)[-1]["text"]["body"]
    with transaction(runtime.sessions, shop.client_id) as session:
        customer = session.scalars(select(Customer).where(Customer.wa_id == "16505551234")).one()
        assert customer.marketing_opt_out
        assert messaging.notify_customer(session, shop.client_id, customer.id, "order:x:confirmed", "news") is None
        assert messaging.notify_customer(session, shop.client_id, customer.id, "approval:x", "yes", reply_to_own=True)
    start = payload("text", number, wamid_suffix=".start")
    start["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "start"
    deliver(runtime, start)
    drain(make_worker(runtime))
    with transaction(runtime.sessions, shop.client_id) as session:
        assert not session.get(Customer, customer.id).marketing_opt_out


def test_outside_opening_hours_the_reply_starts_with_the_off_hours_note(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    now = utcnow()
    opening = (now + timedelta(hours=2)).time().replace(microsecond=0)
    closing = (now + timedelta(hours=3)).time().replace(microsecond=0)
    bind_number(
        app_engine,
        shop.client_id,
        number,
        opening_hours=opening,
        closing_hours=closing,
        off_hours_reply="We are closed; back at 9.",
    )
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    [sent] = sent_texts(graph_api)
    assert sent["text"]["body"].startswith("We are closed; back at 9.\n\n")
    assert len(sent["text"]["body"]) > len("We are closed; back at 9.\n\n")


def test_outside_the_24_hour_window_a_notification_is_the_chosen_template(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    bind_number(
        app_engine,
        shop.client_id,
        number,
        whatsapp_fallback_template="order_update",
        whatsapp_template_language="en_US",
    )
    with transaction(runtime.sessions, shop.client_id) as session:
        session.add(
            MessageTemplate(
                client_id=shop.client_id,
                name="order_update",
                language="en_US",
                category="UTILITY",
                status="APPROVED",
                body="Hi {{1}}, we have news.",
                variables=1,
            )
        )
        customer = session.scalars(select(Customer).where(Customer.wa_id == "16505551234")).one()
        inside = messaging.notify_customer(session, shop.client_id, customer.id, "news:1", "Your order is confirmed")
        customer.last_inbound_at = utcnow() - timedelta(hours=25)
        session.flush()
        outside = messaging.notify_customer(session, shop.client_id, customer.id, "news:2", "Your order is confirmed")
    assert inside.payload["type"] == "text"
    assert outside.payload["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Sheena Nelson"}]}],
    }
    drain(make_worker(runtime))
    assert [s["type"] for s in sent_texts(graph_api)] == ["text", "text", "template"]


def test_while_a_person_has_taken_over_the_agent_stays_silent(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    customer_id = inbox(app_engine, shop.client_id)[0].customer_id
    with TestClient(create_app(wa_settings)) as client:
        taken = client.post(f"/api/v1/chat/conversations/{customer_id}/takeover", headers=shop.staff)
        assert taken.json() == {"customer_id": str(customer_id), "handled_by": "clerk"}
        deliver(runtime, payload("text", number, wamid_suffix=".2"))
        drain(make_worker(runtime))
        assert graph_api["send"].call_count == 1  # the agent said nothing
        [thread] = client.get("/api/v1/chat/conversations", headers=shop.owner).json()
        assert (thread["customer_id"], thread["handled_by"], thread["waiting"]) == (str(customer_id), "clerk", True)
        assert [m["direction"] for m in thread["messages"]] == ["in", "out", "in"]
        human = client.post(
            f"/api/v1/chat/conversations/{customer_id}/messages", json={"text": "Hi, Ada here"}, headers=shop.staff
        )
        assert human.status_code == 202, human.text
        drain(make_worker(runtime))
        assert sent_texts(graph_api)[-1]["text"]["body"] == "Hi, Ada here"
        assert (
            client.post(f"/api/v1/chat/conversations/{customer_id}/handback", headers=shop.staff).json()["handled_by"]
            is None
        )
    deliver(runtime, payload("text", number, wamid_suffix=".3"))
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 3


class TakenOverModel(OfflineChatModel):
    """The offline model; while it thinks, a person takes the conversation over (TAKE_OVER's hook)."""

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        if (hook := TAKE_OVER.pop("hook", None)) is not None:
            hook()
        return super()._generate(messages, stop, run_manager, **kwargs)


TAKE_OVER: dict[str, Any] = {}


def test_a_person_who_takes_over_during_the_agents_turn_answers_instead_of_the_agent(
    wa_settings: Settings,
    redis_client: redis.Redis,
    graph_api: respx.MockRouter,
    app_engine: Engine,
    shop: Shop,
    number: str,
) -> None:
    staff = Context(shop.client_id, Role.STAFF, Channel.CONSOLE, shop.staff_id, actor_name="clerk")

    def take_over() -> None:
        with transaction(make_session_factory(app_engine), shop.client_id) as session:
            query = select(Customer.id).where(Customer.client_id == shop.client_id, Customer.wa_id == "16505551234")
            messaging.take_over(session, staff, session.scalars(query).one())

    TAKE_OVER["hook"] = take_over
    with open_runtime(wa_settings, chat_model=TakenOverModel()) as runtime:
        deliver(runtime, payload("text", number))
        drain(make_worker(runtime))
    assert "hook" not in TAKE_OVER  # the turn ran, and the takeover happened during it
    assert graph_api["send"].call_count == 0
    assert outbound(app_engine, shop.client_id) == []
    [row] = inbox(app_engine, shop.client_id)
    assert row.state is InboxState.DONE


def test_the_simulate_route_goes_through_the_inbox_and_the_reply_shows_in_the_log(
    wa_settings: Settings, runtime: Runtime, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        add_product(client, shop, "LINEN-SHIRT-M", "38.00", stock=6)
        accepted = client.post(
            "/api/v1/chat/webhook/inbound",
            json={"wa_id": "2348031234567", "name": "Ada", "text": "do you have linen shirts?"},
            headers=shop.owner,
        )
        assert accepted.status_code == 202, accepted.text
        assert (
            client.post(
                "/api/v1/chat/webhook/inbound", json={"wa_id": "2348031234567", "text": "hi"}, headers=shop.staff
            ).status_code
            == 403
        )
        drain(make_worker(runtime))
        log = client.get("/api/v1/chat/messages", headers=shop.staff).json()
    out, inbound = log[0], log[1]
    assert (inbound["direction"], inbound["text"], inbound["state"]) == ("in", "do you have linen shirts?", "done")
    assert out["direction"] == "out"
    assert out["state"] == "simulated"
    assert "LINEN-SHIRT-M" in out["text"]
    assert out["input_tokens"] > 0


def test_the_simulate_route_is_refused_in_production_unless_enabled(settings: Settings, shop: Shop) -> None:
    body = {"wa_id": "2348031234567", "text": "hi"}
    production = whatsapp_settings(settings, EASY_ECOM_ENV="production")
    with TestClient(create_app(production)) as client:
        assert client.post("/api/v1/chat/webhook/inbound", json=body, headers=shop.owner).status_code == 403
    enabled = whatsapp_settings(settings, EASY_ECOM_ENV="production", WHATSAPP_SIMULATE_IN_PRODUCTION=True)
    with TestClient(create_app(enabled)) as client:
        assert client.post("/api/v1/chat/webhook/inbound", json=body, headers=shop.owner).status_code == 202


def test_templates_are_refreshed_from_graph_and_stored_per_client(
    wa_settings: Settings, app_engine: Engine, shop: Shop, number: str
) -> None:
    bind_number(app_engine, shop.client_id, number, whatsapp_business_account_id="102290129340398")
    listed = {
        "data": [
            {
                "name": "order_update",
                "language": "en_US",
                "status": "APPROVED",
                "category": "UTILITY",
                "id": "1",
                "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "Update"},
                    {"type": "BODY", "text": "Hi {{1}}, order {{2}} is {{3}}."},
                ],
            }
        ],
        "paging": {"cursors": {"before": "a", "after": "b"}},
    }
    with respx.mock(base_url=f"{GRAPH}/{VERSION}") as router, TestClient(create_app(wa_settings)) as client:
        route = router.get("/102290129340398/message_templates").mock(return_value=httpx.Response(200, json=listed))
        [template] = client.get("/api/v1/chat/templates", headers=shop.staff).json()
        assert route.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
        route.mock(return_value=httpx.Response(500, json={"error": {"message": "down"}}))
        again = client.get("/api/v1/chat/templates", headers=shop.staff).json()
    assert template | {"refreshed_at": None} == {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "status": "APPROVED",
        "body": "Hi {{1}}, order {{2}} is {{3}}.",
        "variables": 3,
        "refreshed_at": None,
    }
    assert [t["name"] for t in again] == ["order_update"]  # Graph down: the stored ones


def test_messages_of_one_client_never_reach_another(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, other_shop: Shop, number: str
) -> None:
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    assert len(outbound(app_engine, shop.client_id)) == 1
    assert outbound(app_engine, other_shop.client_id) == []
    assert inbox(app_engine, other_shop.client_id) == []


def text_payload(number: str, text: str, suffix: str) -> dict[str, Any]:
    body = payload("text", number, wamid_suffix=suffix)
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return body


def test_the_owners_decision_reaches_the_customer_on_whatsapp_without_them_writing_again(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        flows.add_product(client, shop, "Grey Hoodie", {"HOODIE-GRY": "40.00"}, stock=5, cost="20.00")
        deliver(runtime, text_payload(number, "I want to buy 2 grey hoodies, 15% off", ".ask"))
        drain(make_worker(runtime))
        [confirm] = sent_texts(graph_api)
        assert confirm["type"] == "interactive"
        assert confirm["interactive"]["type"] == "button"
        assert [b["reply"]["title"] for b in confirm["interactive"]["action"]["buttons"]] == ["Yes", "No"]
        deliver(runtime, payload("button_reply", number, wamid_suffix=".yes"))  # the customer taps Yes
        drain(make_worker(runtime))
        assert "owner" in sent_texts(graph_api)[-1]["text"]["body"]
        [pending] = client.get("/api/v1/approvals", params={"status": "pending"}, headers=shop.owner).json()["items"]
        decided = client.post(f"/api/v1/approvals/{pending['id']}", json={"approve": True}, headers=shop.owner)
        assert decided.status_code == 200, decided.text
    drain(make_worker(runtime))
    news = sent_texts(graph_api)[-1]
    assert news["to"] == "16505551234"
    assert news["text"]["body"].startswith("Order #")
    assert "Total 68.00" in news["text"]["body"]
    assert graph_api["send"].call_count == 3
    keys = [row.key for row in outbound(app_engine, shop.client_id)]
    assert keys[-1] == f"approval:{pending['id']}"


def test_a_tapped_list_row_is_read_as_the_customers_words(
    runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, payload("list_reply", number))
    drain(make_worker(runtime))
    [row] = inbox(app_engine, shop.client_id)
    assert messaging.message_text(row.kind, row.payload) == "Express Shipping"
    assert graph_api["send"].call_count == 1


def test_customers_hear_when_their_order_is_confirmed_delivered_or_cancelled(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        add_product(client, shop, "di9ozbzfi4", "30.00", stock=5)
        add_product(client, shop, "nqryix03ez", "25.00", stock=5)
        deliver(runtime, payload("order", number))
        drain(make_worker(runtime))
        with transaction(runtime.sessions, shop.client_id) as session:
            order_id = session.scalars(select(Order.id).where(Order.client_id == shop.client_id)).one()
        assert client.post(f"/api/v1/orders/{order_id}/confirm", headers=shop.staff).status_code == 200
        assert client.post(f"/api/v1/orders/{order_id}/confirm", headers=shop.staff).status_code == 409
        drain(make_worker(runtime))
        assert client.post(f"/api/v1/orders/{order_id}/deliver", headers=shop.staff).status_code == 200
        drain(make_worker(runtime))
    bodies = [s["text"]["body"] for s in sent_texts(graph_api)]
    assert len(bodies) == 3
    assert bodies[1].endswith("is confirmed.")
    assert "has been delivered" in bodies[2]


def test_history_replayed_at_its_own_time_is_not_sent_as_news(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        add_product(client, shop, "di9ozbzfi4", "30.00", stock=5)
        add_product(client, shop, "nqryix03ez", "25.00", stock=5)
        deliver(runtime, payload("order", number))
        drain(make_worker(runtime))
        sent_before = graph_api["send"].call_count
        owner = Context(shop.client_id, Role.OWNER, Channel.SYSTEM, actor_name="import")
        with transaction(runtime.sessions, shop.client_id) as session:
            order_id = session.scalars(select(Order.id).where(Order.client_id == shop.client_id)).one()
            orders.confirm_order(session, owner, order_id, at=utcnow() - timedelta(days=2))  # an import's past
        drain(make_worker(runtime))
        assert graph_api["send"].call_count == sent_before
        assert client.post(f"/api/v1/orders/{order_id}/deliver", headers=shop.staff).status_code == 200
        drain(make_worker(runtime))
    assert graph_api["send"].call_count == sent_before + 1
    assert "has been delivered" in sent_texts(graph_api)[-1]["text"]["body"]
