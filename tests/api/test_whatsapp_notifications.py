"""Customers hear on WhatsApp when their order is cancelled or a refund is paid (a cash return, and
a return request's owed refund paid later), through the outbox to a fake Graph API (respx); and
sends stay under the per-number rate across workers (a Redis counter per number and second)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import redis
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.whatsapp.worker import SendRate
from domain import messaging
from domain.models import Customer, Order
from graph.runtime import Runtime, open_runtime
from infra.db import transaction
from infra.settings import Settings
from tests.api import test_whatsapp_worker as worker_tests
from tests.api.conftest import Shop
from tests.api.flows import V1, ok
from tests.api.test_orders_api import add_product
from tests.api.test_whatsapp_worker import deliver, drain, make_worker, sent_texts
from tests.api.whatsapp_support import GRAPH, payload

# the WhatsApp worker tests' fixtures: a number with a token, a runtime, the fake Graph API
wa_settings, number, runtime, graph_api = (
    worker_tests.wa_settings,
    worker_tests.number,
    worker_tests.runtime,
    worker_tests.graph_api,
)


def catalog_order(client: TestClient, runtime: Runtime, shop: Shop, number: str) -> dict[str, Any]:
    """The customer's catalog order (2 × di9ozbzfi4 at 30.00, 1 × nqryix03ez at 25.00), pending."""
    add_product(client, shop, "di9ozbzfi4", "30.00", stock=5)
    add_product(client, shop, "nqryix03ez", "25.00", stock=5)
    deliver(runtime, payload("order", number))
    drain(make_worker(runtime))
    with transaction(runtime.sessions, shop.client_id) as session:
        order_id = session.scalars(select(Order.id).where(Order.client_id == shop.client_id)).one()
    return ok(client.get(f"{V1}/orders/{order_id}", headers=shop.staff))


def bodies(router: respx.MockRouter) -> list[str]:
    return [s["text"]["body"] for s in sent_texts(router) if s["type"] == "text"]


def test_a_customer_hears_when_their_order_is_cancelled(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        order = catalog_order(client, runtime, shop, number)
        ok(client.request("DELETE", f"{V1}/orders/{order['id']}", json={"reason": "out of season"}, headers=shop.staff))
        drain(make_worker(runtime))
        assert client.delete(f"{V1}/orders/{order['id']}", headers=shop.staff).status_code == 409
        drain(make_worker(runtime))
    news = bodies(graph_api)[1:]
    assert news == [f"Your order #{order['number']} has been cancelled."]
    assert sent_texts(graph_api)[-1]["to"] == "16505551234"


def test_a_customer_hears_when_a_refund_is_paid_at_once_or_later(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        order = catalog_order(client, runtime, shop, number)
        for step in ("pay", "confirm", "deliver"):
            ok(client.post(f"{V1}/orders/{order['id']}/{step}", headers=shop.staff))
        lines = {line["sku"]: line["id"] for line in order["lines"]}
        cash = {"order_id": order["id"], "items": [{"order_line_id": lines["nqryix03ez"], "quantity": 1}]}
        ok(client.post(f"{V1}/returns", json=cash, headers=shop.staff), 201)  # paid order: refunded in cash now
        drain(make_worker(runtime))
        item = {"order_line_id": lines["di9ozbzfi4"], "quantity": 1}
        request = ok(
            client.post(f"{V1}/return-requests", json={"order_id": order["id"], "items": [item]}, headers=shop.staff),
            201,
        )
        ok(client.post(f"{V1}/return-requests/{request['id']}/receive", json={}, headers=shop.staff))
        drain(make_worker(runtime))
        sent_before_refund = len(bodies(graph_api))
        ok(client.post(f"{V1}/return-requests/{request['id']}/refund", headers=shop.staff))
        drain(make_worker(runtime))
    news = bodies(graph_api)
    assert news[1:4] == [
        f"Good news: your order #{order['number']} is confirmed.",
        f"Your order #{order['number']} has been delivered. Thank you for shopping with us!",
        f"We have refunded 25.00 USD for order #{order['number']}.",
    ]
    assert sent_before_refund == 4  # the goods coming back owe the refund; nothing is paid yet
    assert news[4:] == [f"We have refunded 30.00 USD for order #{order['number']}."]


def test_sends_stay_under_the_rate_per_number_across_workers(redis_client: redis.Redis) -> None:
    per_second, number = 5, f"rate-{uuid.uuid4().hex[:8]}"
    workers = [SendRate(redis_client, per_second), SendRate(redis_client, per_second)]  # two processes' limiters
    sent: dict[str, list[float]] = {number: [], "another-number": []}
    lock = threading.Lock()

    def send(limiter: SendRate, count: int, to: str) -> None:
        for _ in range(count):
            limiter.wait(to)
            with lock:
                sent[to].append(time.time())

    started = time.time()
    threads = [threading.Thread(target=send, args=(w, 7, number)) for w in workers for _ in range(2)]
    threads.append(threading.Thread(target=send, args=(SendRate(redis_client, per_second), 5, "another-number")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    per_second_counts = Counter(int(at) for at in sent[number])
    assert len(sent[number]) == 28
    assert max(per_second_counts.values()) <= per_second
    assert time.time() - started > 4  # 28 messages at 5 a second span at least six seconds of the clock
    assert max(sent["another-number"]) - started < 1.5  # another number has its own budget


def test_the_worker_waits_for_the_rate_before_calling_graph(
    wa_settings: Settings, redis_client: redis.Redis, shop: Shop, number: str
) -> None:
    calls: list[float] = []

    def answer(_: httpx.Request) -> httpx.Response:
        calls.append(time.time())
        return httpx.Response(200, json={"messages": [{"id": f"wamid.out.{uuid.uuid4().hex}"}]})

    slow = wa_settings.model_copy(update={"WHATSAPP_MESSAGES_PER_SECOND": 3})
    with open_runtime(slow) as slow_runtime, respx.mock(assert_all_called=False) as router:
        router.post(f"{GRAPH}/v21.0/{number}/messages", name="send").mock(side_effect=answer)
        deliver(slow_runtime, payload("text", number))
        drain(make_worker(slow_runtime))
        with transaction(slow_runtime.sessions, shop.client_id) as session:
            customer = session.scalars(select(Customer).where(Customer.client_id == shop.client_id)).one()
            for index in range(8):  # news written at once, sent as fast as the worker may
                messaging.notify_customer(session, shop.client_id, customer.id, f"news:{index}", f"News {index}")
        drain(make_worker(slow_runtime))
    assert len(calls) == 9
    per_second = Counter(int(at) for at in calls[1:])
    assert max(per_second.values()) <= 3
    assert len(per_second) >= 3
