"""Approvals over REST and through the conversation service every channel shares: staff requests
that only the owner may grant answer 202; the owner's decision (REST) runs the action once and
resumes whichever conversation waits (a WhatsApp customer's, a console user's)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from domain import tenancy
from domain.context import Context
from domain.models import ApprovalStatus, Channel, Order, Role, StockMovement
from graph.conversations import ConversationService
from graph.turns import Turn
from infra.db import transaction
from tests.api.conftest import Shop
from tests.api.test_orders_api import add_product

V1 = "/api/v1"


def service(client: TestClient) -> ConversationService:
    return client.app.state.runtime.conversations


def customer_says(client: TestClient, shop: Shop, text: str, conversation: str = "main") -> Turn:
    """A customer's turn as the WhatsApp worker runs it: through the conversation service."""
    with transaction(client.app.state.runtime.sessions, shop.client_id) as session:
        owner = Context(shop.client_id, Role.OWNER, Channel.SYSTEM)
        alice = tenancy.get_or_create_customer(session, owner, wa_id="2348055555555", name="Alice")
    ctx = Context(shop.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)
    return service(client).send(ctx, text, conversation)


def orders_of(client: TestClient, shop: Shop) -> list[Order]:
    with transaction(client.app.state.runtime.sessions, shop.client_id) as session:
        return list(session.scalars(select(Order).where(Order.client_id == shop.client_id)))


def ask_for_discounted_order(client: TestClient, shop: Shop, conversation: str) -> str:
    add_product(client, shop, "HOODIE-GRY-M", "40.00", stock=6)
    assert customer_says(client, shop, "I want to buy 2 hoodies, 15% off", conversation).pending["kind"] == "confirm"
    waiting = customer_says(client, shop, "yes", conversation)
    assert waiting.pending["kind"] == "approval"
    return waiting.pending["approval_id"]


def decide(client: TestClient, shop: Shop, approval_id: str, approve: bool) -> dict:
    response = client.post(f"{V1}/approvals/{approval_id}", json={"approve": approve}, headers=shop.owner)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_owner_approves_a_whatsapp_customers_discount_and_the_reply_reaches_them(
    client: TestClient, shop: Shop
) -> None:
    approval_id = ask_for_discounted_order(client, shop, "c-1")
    assert orders_of(client, shop) == []
    listed = client.get(f"{V1}/approvals", headers=shop.owner).json()
    assert [(a["id"], a["kind"], a["status"], a["requested_channel"]) for a in listed["items"]] == [
        (approval_id, "discount", "pending", "whatsapp")
    ]
    decided = decide(client, shop, approval_id, approve=True)
    assert decided["approval"]["status"] == "approved"
    assert decided["reply"].startswith("Order #1001 is placed (pending). Total 68.00")
    [order] = orders_of(client, shop)
    assert (order.discount_pct, order.discount_approval.value) == (Decimal("15.00"), "approved")
    assert decided["approval"]["result"]["order_number"] == 1001
    again = customer_says(client, shop, "where is order 1001?", "c-1")
    assert "Order #1001 is pending" in again.reply
    twice = client.post(f"{V1}/approvals/{approval_id}", json={"approve": False}, headers=shop.owner)
    assert twice.status_code == 409


def test_the_decision_says_whom_to_tell(client: TestClient, shop: Shop) -> None:
    approval_id = ask_for_discounted_order(client, shop, "c-2")
    owner = Context(shop.client_id, Role.OWNER, Channel.CONSOLE, shop.owner_id)
    decision = service(client).decide(owner, uuid.UUID(approval_id), approve=False)
    assert decision.reply == "Sorry, the owner did not approve that discount, so nothing changed."
    assert (decision.notify.channel, decision.notify.user_id) == (Channel.WHATSAPP, None)
    assert decision.notify.customer_id is not None
    assert str(decision.notify.thread).endswith(":c-2")
    assert orders_of(client, shop) == []


def test_the_requesters_yes_does_not_resume_an_approval(client: TestClient, shop: Shop) -> None:
    ask_for_discounted_order(client, shop, "c-3")
    still = customer_says(client, shop, "yes", "c-3")
    assert still.reply.startswith("This still waits for the owner's approval")
    assert orders_of(client, shop) == []


def test_only_this_shops_owner_decides(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    approval_id = ask_for_discounted_order(client, shop, "c-4")
    url = f"{V1}/approvals/{approval_id}"
    assert client.post(url, json={"approve": True}, headers=other_shop.owner).status_code == 404
    assert client.post(url, json={"approve": True}, headers=shop.staff).status_code == 403
    assert client.get(url, headers=shop.staff).status_code == 404  # staff read only their own requests
    assert client.get(f"{V1}/approvals", headers=shop.staff).json()["total"] == 0
    assert client.get(f"{V1}/approvals", headers=other_shop.owner).json()["total"] == 0
    assert orders_of(client, shop) == []


def test_a_staff_stock_adjustment_above_the_threshold_answers_202_and_runs_once_approved(
    client: TestClient, shop: Shop
) -> None:
    variant_id = add_product(client, shop, "MUG-ADJ", "10.00", stock=30)
    body = {"variant_id": variant_id, "type": "adjustment", "quantity": -25, "reason": "flooded"}
    asked = client.post(f"{V1}/inventory/adjustments", json=body, headers=shop.staff | {"Idempotency-Key": "adj-1"})
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert (approval["status"], approval["summary"]) == ("pending", "Adjust MUG-ADJ by -25 units (flooded).")
    retried = client.post(f"{V1}/inventory/adjustments", json=body, headers=shop.staff | {"Idempotency-Key": "adj-1"})
    assert (retried.status_code, retried.json()["id"]) == (202, approval["id"])
    mine = client.get(f"{V1}/approvals/{approval['id']}", headers=shop.staff).json()
    assert mine["status"] == "pending"
    decided = decide(client, shop, approval["id"], approve=True)
    assert (decided["approval"]["status"], decided["approval"]["result"]["on_hand"], decided["reply"]) == (
        "approved",
        5,
        "",
    )
    assert client.get(f"{V1}/approvals/{approval['id']}", headers=shop.staff).json()["status"] == "approved"
    with transaction(client.app.state.runtime.sessions, shop.client_id) as session:
        adjustments = session.scalars(select(StockMovement).where(StockMovement.reason == "flooded")).all()
    assert [m.quantity for m in adjustments] == [-25]
    # The day's adjustments of this variant already exceed the threshold: a small one waits too.
    small = client.post(f"{V1}/inventory/adjustments", json=body | {"quantity": -3}, headers=shop.staff)
    assert (small.status_code, small.json()["status"]) == (202, "pending")


def test_a_staff_discount_above_the_threshold_answers_202_and_the_order_is_placed_once_approved(
    client: TestClient, shop: Shop
) -> None:
    variant_id = add_product(client, shop, "TEE-RED", "20.00", stock=5)
    body = {"lines": [{"variant_id": variant_id, "quantity": 2}], "discount_pct": "15"}
    asked = client.post(f"{V1}/orders", json=body, headers=shop.staff)
    assert asked.status_code == 202, asked.text
    assert asked.json()["summary"] == "Order 2 × Tee-Red (TEE-RED) at 15% off, total 34.00."
    assert orders_of(client, shop) == []
    decided = decide(client, shop, asked.json()["id"], approve=True)
    number = decided["approval"]["result"]["order_number"]
    [order] = orders_of(client, shop)
    assert (order.number, order.total, order.created_by_user_id) == (number, Decimal("34.00"), shop.staff_id)
    assert (
        client.post(f"{V1}/approvals/{asked.json()['id']}", json={"approve": True}, headers=shop.owner).status_code
        == 409
    )
    assert len(orders_of(client, shop)) == 1
    owners_own = client.post(f"{V1}/orders", json=body, headers=shop.owner)
    assert owners_own.status_code == 201


def test_staff_cancel_a_confirmed_order_by_chat_once_the_owner_approves(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-CNF", "10.00", stock=5)
    created = client.post(
        f"{V1}/orders", json={"lines": [{"variant_id": variant_id, "quantity": 2}]}, headers=shop.staff
    ).json()
    assert client.post(f"{V1}/orders/{created['id']}/confirm", headers=shop.staff).status_code == 200

    def say(message: str, thread: str | None = None) -> dict:
        response = client.post(f"{V1}/chat", json={"message": message, "thread_id": thread}, headers=shop.staff)
        assert response.status_code == 200, response.text
        return response.json()

    asked = say(f"cancel order {created['number']}")
    waiting = say("yes", asked["thread_id"])
    assert waiting["pending_approval"]["kind"] == "approval"
    decided = decide(client, shop, waiting["pending_approval"]["approval_id"], approve=True)
    assert decided["reply"] == f"Order #{created['number']} is cancelled."
    assert client.get(f"{V1}/orders/{created['id']}", headers=shop.staff).json()["status"] == "cancelled"


def test_staff_cancel_a_confirmed_order_by_rest_waits_for_the_owner(client: TestClient, shop: Shop) -> None:
    variant_id = add_product(client, shop, "MUG-RST", "10.00", stock=5)
    created = client.post(
        f"{V1}/orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}, headers=shop.staff
    ).json()
    client.post(f"{V1}/orders/{created['id']}/confirm", headers=shop.staff)
    asked = client.delete(f"{V1}/orders/{created['id']}", headers=shop.staff | {"X-2FA-Code": "123456"})
    assert (asked.status_code, asked.json()["kind"]) == (202, "cancel_confirmed_order")
    assert client.get(f"{V1}/orders/{created['id']}", headers=shop.staff).json()["status"] == "confirmed"
    decide(client, shop, asked.json()["id"], approve=True)
    assert client.get(f"{V1}/orders/{created['id']}", headers=shop.staff).json()["status"] == "cancelled"


def test_a_console_staff_members_request_reaches_the_owner_and_the_reply_comes_back_to_their_console(
    client: TestClient, shop: Shop
) -> None:
    add_product(client, shop, "MUG-CON", "10.00", stock=40)
    conversations = service(client)
    staff = Context(shop.client_id, Role.STAFF, Channel.CONSOLE, shop.staff_id, actor_name="clerk")
    asked = conversations.send(staff, "adjust MUG-CON by -25 because flooded", "console-1")
    assert asked.pending["kind"] == "confirm"  # every write asks for a yes first
    waiting = conversations.send(staff, "yes", "console-1")
    assert waiting.pending["kind"] == "approval"
    owner = Context(shop.client_id, Role.OWNER, Channel.CONSOLE, shop.owner_id, actor_name="owner")
    [pending], total = conversations.list_approvals(owner, status=ApprovalStatus.PENDING)
    assert (total, pending.requested_channel) == (1, Channel.CONSOLE)
    decision = conversations.decide(owner, pending.id, approve=True)
    assert decision.reply == "MUG-CON adjusted by -25: 15 on hand now."
    assert (decision.notify.channel, decision.notify.user_id) == (Channel.CONSOLE, shop.staff_id)
    assert decision.notify.thread == f"console:{shop.client_id}:{shop.staff_id}:console-1"
