"""Owner approvals over REST: the owner decides a request the agent recorded, and the decision
resumes the requester's conversation (a WhatsApp-style customer thread, or a staff chat)."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Order, Role
from graph.conversation import Turn, run_turn
from infra.db import transaction
from tests.api.conftest import Shop
from tests.api.test_orders_api import add_product
from tools.runtime import ToolEnv


def customer_says(client: TestClient, shop: Shop, thread: str, text: str) -> Turn:
    """A customer's turn as the WhatsApp channel would run it: the same graph cache and checkpointer."""
    state = client.app.state
    with transaction(state.session_factory, shop.client_id) as session:
        owner = Context(shop.client_id, Role.OWNER, Channel.SYSTEM)
        alice = tenancy.get_or_create_customer(session, owner, wa_id="2348055555555", name="Alice")
        ctx = Context(shop.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)
    graph = state.graph_cache.get(ToolEnv(ctx, state.session_factory), state.chat_model, state.checkpointer)
    return run_turn(graph, thread, text)


def orders_of(client: TestClient, shop: Shop) -> list[Order]:
    state = client.app.state
    with transaction(state.session_factory, shop.client_id) as session:
        return list(session.scalars(select(Order).where(Order.client_id == shop.client_id)))


def ask_for_discounted_order(client: TestClient, shop: Shop, thread: str) -> str:
    add_product(client, shop, "HOODIE-GRY-M", "40.00", stock=6)
    assert customer_says(client, shop, thread, "I want to buy 2 hoodies, 15% off").pending["kind"] == "confirm"
    waiting = customer_says(client, shop, thread, "yes")
    assert waiting.pending["kind"] == "approval"
    return waiting.pending["approval_id"]


def test_the_owner_approves_a_customers_discount_and_the_order_is_placed(client: TestClient, shop: Shop) -> None:
    approval_id = ask_for_discounted_order(client, shop, f"wa:{shop.client_id}:alice:1")
    assert orders_of(client, shop) == []
    listed = client.get("/api/v1/chat/approvals", headers=shop.owner).json()
    assert [(a["id"], a["kind"], a["status"]) for a in listed["items"]] == [(approval_id, "discount", "pending")]
    decided = client.post(f"/api/v1/chat/approvals/{approval_id}", json={"approve": True}, headers=shop.owner)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["reply"].startswith("Order #1001 is placed (pending). Total 68.00")
    [order] = orders_of(client, shop)
    assert (order.discount_pct, order.discount_approval.value) == (Decimal("15.00"), "approved")
    again = customer_says(client, shop, f"wa:{shop.client_id}:alice:1", "where is order 1001?")
    assert "Order #1001 is pending" in again.reply
    twice = client.post(f"/api/v1/chat/approvals/{approval_id}", json={"approve": False}, headers=shop.owner)
    assert twice.status_code == 409


def test_a_rejected_discount_places_no_order(client: TestClient, shop: Shop) -> None:
    approval_id = ask_for_discounted_order(client, shop, f"wa:{shop.client_id}:alice:2")
    decided = client.post(f"/api/v1/chat/approvals/{approval_id}", json={"approve": False}, headers=shop.owner)
    assert decided.json() == {
        "status": "rejected",
        "reply": "Sorry, the owner did not approve that discount, so I have not placed the order.",
    }
    assert orders_of(client, shop) == []


def test_the_requesters_yes_does_not_resume_an_approval(client: TestClient, shop: Shop) -> None:
    thread = f"wa:{shop.client_id}:alice:3"
    ask_for_discounted_order(client, shop, thread)
    still = customer_says(client, shop, thread, "yes")
    assert still.reply.startswith("This still waits for the owner's approval")
    assert orders_of(client, shop) == []


def test_only_this_shops_owner_decides(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    approval_id = ask_for_discounted_order(client, shop, f"wa:{shop.client_id}:alice:4")
    url = f"/api/v1/chat/approvals/{approval_id}"
    assert client.post(url, json={"approve": True}, headers=other_shop.owner).status_code == 404
    assert client.post(url, json={"approve": True}, headers=shop.staff).status_code == 403
    assert client.get("/api/v1/chat/approvals", headers=shop.staff).status_code == 403
    assert client.get("/api/v1/chat/approvals", headers=other_shop.owner).json()["total"] == 0
    assert orders_of(client, shop) == []


def test_staff_cancel_a_confirmed_order_once_the_owner_approves(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-CNF", "10.00", stock=5)
    created = client.post(
        "/api/v1/orders", json={"lines": [{"variant_id": variant_id, "quantity": 2}]}, headers=shop.staff
    ).json()
    assert client.post(f"/api/v1/orders/{created['id']}/confirm", headers=shop.staff).status_code == 200

    def say(message: str, thread: str | None = None) -> dict:
        body = {"message": message, "thread_id": thread}
        response = client.post("/api/v1/chat", json=body, headers=shop.staff)
        assert response.status_code == 200, response.text
        return response.json()

    asked = say(f"cancel order {created['number']}")
    waiting = say("yes", asked["thread_id"])
    assert waiting["pending_approval"]["kind"] == "approval"
    approval_id = waiting["pending_approval"]["approval_id"]
    decided = client.post(f"/api/v1/chat/approvals/{approval_id}", json={"approve": True}, headers=shop.owner)
    assert decided.json() == {"status": "approved", "reply": f"Order #{created['number']} is cancelled."}
    assert client.get(f"/api/v1/orders/{created['id']}", headers=shop.staff).json()["status"] == "cancelled"
