"""POST /api/v1/chat over the real graph, database and Postgres checkpointer."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import respx
from fastapi.testclient import TestClient

from api.main import create_app
from infra.settings import Settings
from tests.api.conftest import Shop
from tests.api.test_orders_api import add_product


def test_a_conversation_on_the_offline_model_answers_from_the_shop(client: TestClient, shop: Shop) -> None:
    add_product(client, shop, "LINEN-SHIRT-M", "38.00", stock=6)
    first = client.post("/api/v1/chat", json={"message": "do you have linen shirts?"}, headers=shop.staff)
    assert first.status_code == 200, first.text
    body = first.json()
    assert "LINEN-SHIRT-M" in body["reply"]
    assert "38.00, 6 in stock" in body["reply"]
    assert body["tool_calls"] == ["ask_sales", "search_products"]
    second = client.post(
        "/api/v1/chat",
        json={"message": "how many LINEN-SHIRT-M in stock?", "thread_id": body["thread_id"]},
        headers=shop.staff,
    )
    assert "6 on hand" in second.json()["reply"]
    assert second.json()["thread_id"] == body["thread_id"]


def test_threads_are_kept_in_postgres_across_app_restarts(settings: Settings, shop: Shop) -> None:
    with TestClient(create_app(settings)) as client:
        thread = client.post("/api/v1/chat", json={"message": "hello"}, headers=shop.owner).json()["thread_id"]
    with TestClient(create_app(settings)) as client:
        graph_state = client.app.state.runtime.conversations.checkpointer.get_tuple(
            {"configurable": {"thread_id": f"rest:{shop.client_id}:{shop.owner_id}:{thread}"}}
        )
    assert graph_state is not None
    assert [m.type for m in graph_state.checkpoint["channel_values"]["messages"]] == ["human", "ai"]


def test_chat_needs_a_token_and_validates_input(client: TestClient, shop: Shop) -> None:
    assert client.post("/api/v1/chat", json={"message": "hi"}).status_code == 401
    assert client.post("/api/v1/chat", json={"message": ""}, headers=shop.owner).status_code == 422
    bad_thread = client.post("/api/v1/chat", json={"message": "hi", "thread_id": "../other"}, headers=shop.owner)
    assert bad_thread.status_code == 422


def streamed_completion(content: str | None = None, tool: tuple[str, dict] | None = None) -> httpx.Response:
    """An OpenAI chat completion as server-sent chunks: text in pieces, or one tool call."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "gpt-test"}
    deltas: list[dict] = [{"role": "assistant", "content": ""}]
    if content:
        deltas += [{"content": piece} for piece in re.findall(r"\S+\s*", content)]
    if tool:
        call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": tool[0], "arguments": ""}}
        deltas += [
            {"tool_calls": [call]},
            {"tool_calls": [{"index": 0, "function": {"arguments": json.dumps(tool[1])}}]},
        ]
    chunks = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if tool else "stop"}]})
    chunks.append(base | {"choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 7, "total_tokens": 57}})
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


def test_an_openai_compatible_model_drives_the_same_graph(settings: Settings, shop: Shop) -> None:
    configured = settings.model_copy(
        update={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "https://llm.test/v1", "LLM_MODEL": "gpt-test"}
    )
    replies = [
        streamed_completion(tool=("ask_sales", {"request": "what are your hours?"})),
        streamed_completion(tool=("get_business_info", {})),
        streamed_completion(content="We are open 09:00-18:00."),
    ]
    with respx.mock(assert_all_called=True) as mock, TestClient(create_app(configured)) as client:
        route = mock.post("https://llm.test/v1/chat/completions").mock(side_effect=replies)
        answer = client.post("/api/v1/chat", json={"message": "when are you open?"}, headers=shop.owner).json()
    assert answer["reply"] == "We are open 09:00-18:00."
    assert answer["tool_calls"] == ["ask_sales", "get_business_info"]
    assert route.call_count == 3
    sent = json.loads(route.calls[0].request.content)
    assert sent["model"] == "gpt-test"
    assert {t["function"]["name"] for t in sent["tools"]} == {
        "ask_sales",
        "ask_stock",
        "ask_customers",
        "ask_discount",
        "ask_analytics",
    }


def test_staff_take_a_whatsapp_style_order_on_the_demo_shop(client: TestClient, settings: Settings, app_engine) -> None:
    from uuid import uuid4

    from domain import demo
    from infra.db import make_session_factory, transaction

    shop_id = f"demo_{uuid4().hex[:8]}"
    with transaction(make_session_factory(app_engine)) as session:
        demo.seed(session, settings, client_id=shop_id)
    login = client.post("/api/v1/auth/login", json={"client_id": shop_id, "username": "staff", "password": "staff1234"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def say(message: str, thread: str | None = None) -> dict:
        response = client.post("/api/v1/chat", json={"message": message, "thread_id": thread}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    browse = say("do you have linen summer shirts?")
    assert "Linen Summer Shirt" in browse["reply"]
    thread = browse["thread_id"]
    asked = say("I want to buy 2 linen summer shirts in M, deliver to 5 Admiralty Way, Lekki", thread)
    assert asked["pending_approval"]["kind"] == "confirm"
    assert "2 × Linen Summer Shirt" in asked["reply"]
    assert "Total 76.00" in asked["reply"]
    placed = say("yes", thread)
    assert placed["pending_approval"] is None
    number = int(placed["reply"].split("#")[1].split(" ")[0])
    status = say(f"where is order {number}?", thread)
    assert f"Order #{number} is pending" in status["reply"]
    assert "2 × Linen Summer Shirt" in status["reply"]
    orders = client.get("/api/v1/orders", params={"limit": 1}, headers=headers).json()["items"]
    assert (orders[0]["number"], orders[0]["delivery_address"]) == (number, "5 Admiralty Way, Lekki")


def test_a_confirmation_survives_a_restart_and_the_order_is_placed_once(settings: Settings, shop: Shop) -> None:
    with TestClient(create_app(settings)) as client:
        add_product(client, shop, "SANDAL-41", "28.00", stock=4)
        asked = client.post("/api/v1/chat", json={"message": "I want to buy a sandal"}, headers=shop.staff).json()
    assert asked["pending_approval"]["action"] == "place_order"
    with TestClient(create_app(settings)) as client:  # a new process: only PostgreSQL remembers
        placed = client.post(
            "/api/v1/chat", json={"message": "yes", "thread_id": asked["thread_id"]}, headers=shop.staff
        ).json()
        again = client.post(
            "/api/v1/chat", json={"message": "yes", "thread_id": asked["thread_id"]}, headers=shop.staff
        ).json()
        listed = client.get("/api/v1/orders", headers=shop.staff).json()
    assert placed["reply"].startswith("Order #1001 is placed")
    assert "#1001 is placed" not in again["reply"]
    assert listed["total"] == 1


def test_the_stream_sends_tool_and_token_events_then_the_reply(client: TestClient, shop: Shop) -> None:
    add_product(client, shop, "WOVEN-HAT", "18.00", stock=9)
    with client.stream(
        "POST", "/api/v1/chat/stream", json={"message": "do you have a woven hat?"}, headers=shop.owner
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in text.strip().split("\n\n")
    ]
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done"
    assert [data["name"] for kind, data in events if kind == "tool"] == ["ask_sales", "search_products"]
    assert any("WOVEN-HAT" in data["text"] for kind, data in events if kind == "token")
    assert "18.00, 9 in stock" in events[-1][1]["reply"]


def test_every_turn_is_metered_for_its_client(client: TestClient, shop: Shop, other_shop: Shop, app_engine) -> None:
    from datetime import timedelta

    from domain import usage
    from domain.context import Context
    from domain.models import Channel, Role
    from domain.models.base import utcnow
    from infra.db import make_session_factory, transaction

    add_product(client, shop, "BELT-LTHR", "22.00", stock=3)
    client.post("/api/v1/chat", json={"message": "do you have a leather belt?"}, headers=shop.owner)
    client.post("/api/v1/chat", json={"message": "hello"}, headers=shop.owner)
    since = utcnow() - timedelta(minutes=5)
    sessions = make_session_factory(app_engine)
    with transaction(sessions, shop.client_id) as session:
        mine = usage.usage_totals(session, Context(shop.client_id, Role.OWNER, Channel.REST), since)
    with transaction(sessions, other_shop.client_id) as session:
        theirs = usage.usage_totals(session, Context(other_shop.client_id, Role.OWNER, Channel.REST), since)
    assert (mine.turns, mine.llm_calls) == (2, 4)  # 3 calls to search and answer, 1 to greet
    assert mine.input_tokens > 0
    assert theirs.turns == 0


def test_a_chat_waiting_on_a_slow_model_leaves_the_database_routes_their_threads(
    settings: Settings, shop: Shop
) -> None:
    """One thread for the database routes and one chat turn stuck in the model: an order list
    still answers, because the chat runs in the pool for routes that wait on outside services."""
    configured = settings.model_copy(
        update={
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "https://llm.test/v1",
            "LLM_MODEL": "gpt-test",
            "API_THREADS": 1,
            "API_OUTSIDE_THREADS": 2,
        }
    )
    in_model, release = threading.Event(), threading.Event()

    def slow_model(_request: httpx.Request) -> httpx.Response:
        in_model.set()
        release.wait(30)
        return streamed_completion(content="We are open 09:00-18:00.")

    with (
        respx.mock(assert_all_called=True) as mock,
        TestClient(create_app(configured)) as client,
        ThreadPoolExecutor(2) as pool,
    ):
        mock.post("https://llm.test/v1/chat/completions").mock(side_effect=slow_model)
        chat = pool.submit(client.post, "/api/v1/chat", json={"message": "when are you open?"}, headers=shop.owner)
        assert in_model.wait(30)
        listed = pool.submit(client.get, "/api/v1/orders", headers=shop.owner)
        try:
            assert listed.result(timeout=10).status_code == 200
            assert not chat.done()  # the turn is still waiting on the model
        finally:
            release.set()
        assert chat.result(timeout=30).json()["reply"] == "We are open 09:00-18:00."
