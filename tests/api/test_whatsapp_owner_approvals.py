"""Owners on their own WhatsApp number: the number proved by a one-time code (sent through the
outbox to a fake Graph API; expiry, attempts, resend limit, hashed at rest, audited); approval
requests reaching every proved owner with Approve / Reject buttons; a tapped button deciding
only from a proved owner number of the same shop (customers, staff and other shops' owners are
refused). Real PostgreSQL, Redis and graph (offline model)."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import timedelta
from typing import Any

import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from api.main import create_app
from domain.models import Approval, ApprovalStatus, AuditEvent, Customer, OutboundMessage, User
from domain.models.base import utcnow
from graph.runtime import Runtime
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api import flows
from tests.api import test_whatsapp_worker as worker_tests
from tests.api.conftest import Shop
from tests.api.test_whatsapp_worker import deliver, drain, make_worker, outbound, sent_texts
from tests.api.whatsapp_support import bind_number, payload

ME = "/api/v1/users/me/whatsapp"
OWNER_PHONE = "15551230001"
STAFF_PHONE = "15551230002"
CUSTOMER_PHONE = "16505551234"  # the sender of Meta's examples

# the WhatsApp worker tests' fixtures: a number with a token, a runtime, the fake Graph API
wa_settings, number, runtime, graph_api = (
    worker_tests.wa_settings,
    worker_tests.number,
    worker_tests.runtime,
    worker_tests.graph_api,
)


def from_phone(body: dict[str, Any], wa_id: str, name: str) -> dict[str, Any]:
    """A delivery `body` as if `wa_id` (called `name`) had sent it."""
    body = copy.deepcopy(body)
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
    for message in value["messages"]:
        message["from"] = wa_id
    return body


def says(number: str, wa_id: str, text: str, suffix: str) -> dict[str, Any]:
    body = from_phone(payload("text", number, wamid_suffix=suffix), wa_id, "Someone")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return body


def taps(number: str, wa_id: str, button_id: str, suffix: str) -> dict[str, Any]:
    body = from_phone(payload("button_reply", number, wamid_suffix=suffix), wa_id, "Someone")
    reply = body["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["button_reply"]
    reply["id"], reply["title"] = button_id, "Approve" if button_id.endswith("approve") else "Reject"
    return body


def code_in(body: str) -> str:
    match = re.match(r"(\d{6}) is your Easy Ecom code", body)
    assert match is not None, body
    return match.group(1)


def users_row(app_engine: Engine, shop: Shop, user_id: uuid.UUID) -> User:
    with transaction(make_session_factory(app_engine), shop.client_id) as session:
        return session.get(User, user_id)


def audit_actions(app_engine: Engine, client_id: str, action: str) -> list[AuditEvent]:
    with transaction(make_session_factory(app_engine), client_id) as session:
        query = select(AuditEvent).where(AuditEvent.client_id == client_id, AuditEvent.action == action)
        return list(session.scalars(query.order_by(AuditEvent.created_at)))


def prove(app_engine: Engine, client_id: str, user_id: uuid.UUID, wa_id: str) -> None:
    """A user's number, as if proved (the code flow has its own tests)."""
    with transaction(make_session_factory(app_engine), client_id) as session:
        session.execute(
            update(User).where(User.id == user_id).values(whatsapp_wa_id=wa_id, whatsapp_verified_at=utcnow())
        )


def test_an_owner_proves_their_number_with_the_code_whatsapp_brings_and_nothing_shows_the_code(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, says(number, OWNER_PHONE, "hello, it is the owner", ".hi"))  # opens the number's window
    drain(make_worker(runtime))
    with TestClient(create_app(wa_settings)) as client:
        asked = client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner)
        assert asked.status_code == 202, asked.text
        assert asked.json() | {"code_expires_at": None} == {
            "number": None,
            "verified_at": None,
            "pending_number": f"+{OWNER_PHONE}",
            "code_expires_at": None,
            "attempts_left": 5,
        }
        drain(make_worker(runtime))
        message = sent_texts(graph_api)[-1]
        assert message["to"] == OWNER_PHONE
        code = code_in(message["text"]["body"])
        stored = users_row(app_engine, shop, shop.owner_id)
        assert stored.whatsapp_code_hash is not None
        assert code not in stored.whatsapp_code_hash
        assert len(stored.whatsapp_code_hash) == 64
        [row] = [o for o in outbound(app_engine, shop.client_id) if o.key.startswith("code:")]
        assert code not in str(row.payload)  # dropped once sent
        log = client.get("/api/v1/sessions/messages", params={"direction": "out"}, headers=shop.owner).json()
        assert code not in str(log)
        assert "[one-time code]" in [line["text"] for line in log["items"]]

        wrong = "000000" if code != "000000" else "111111"
        refused = client.post(f"{ME}/verify", json={"code": wrong}, headers=shop.owner)
        assert refused.status_code == 403
        assert "4 attempts left" in refused.json()["detail"]
        assert client.get(ME, headers=shop.owner).json()["attempts_left"] == 4
        proved = client.post(f"{ME}/verify", json={"code": code}, headers=shop.owner)
        assert proved.status_code == 200, proved.text
        assert proved.json()["number"] == f"+{OWNER_PHONE}"
        assert proved.json()["verified_at"] is not None
        assert proved.json()["pending_number"] is None
        assert client.post(f"{ME}/verify", json={"code": code}, headers=shop.owner).status_code == 422  # used up
        again = client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner)
        assert again.status_code == 429  # one code a minute
    assert users_row(app_engine, shop, shop.owner_id).whatsapp_wa_id == OWNER_PHONE
    assert [e.detail["attempts_left"] for e in audit_actions(app_engine, shop.client_id, "whatsapp_code_failed")] == [4]
    assert len(audit_actions(app_engine, shop.client_id, "whatsapp_code_sent")) == 1
    assert len(audit_actions(app_engine, shop.client_id, "whatsapp_number_verified")) == 1


def test_a_code_is_void_after_five_wrong_tries_or_once_expired(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, says(number, OWNER_PHONE, "hello", ".hi"))
    drain(make_worker(runtime))
    with TestClient(create_app(wa_settings)) as client:
        assert client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner).status_code == 202
        drain(make_worker(runtime))
        code = code_in(sent_texts(graph_api)[-1]["text"]["body"])
        wrong = "000000" if code != "000000" else "111111"
        answers = [client.post(f"{ME}/verify", json={"code": wrong}, headers=shop.owner) for _ in range(5)]
        assert [a.status_code for a in answers] == [403] * 5
        assert "void" in answers[-1].json()["detail"]
        assert client.post(f"{ME}/verify", json={"code": code}, headers=shop.owner).status_code == 422

        with transaction(make_session_factory(app_engine), shop.client_id) as session:  # a minute later
            session.execute(update(User).where(User.id == shop.owner_id).values(whatsapp_code_sent_at=None))
        assert client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner).status_code == 202
        drain(make_worker(runtime))
        code = code_in(sent_texts(graph_api)[-1]["text"]["body"])
        with transaction(make_session_factory(app_engine), shop.client_id) as session:  # ten minutes later
            expired = utcnow() - timedelta(seconds=1)
            session.execute(update(User).where(User.id == shop.owner_id).values(whatsapp_code_expires_at=expired))
        late = client.post(f"{ME}/verify", json={"code": code}, headers=shop.owner)
        assert late.status_code == 422
        assert "expired" in late.json()["detail"]
        assert client.get(ME, headers=shop.owner).json()["number"] is None
        assert (
            client.post(f"{ME}/verify", json={"code": "12345"}, headers=shop.owner).status_code == 422
        )  # not 6 digits


def test_a_code_goes_only_to_a_number_inside_its_window_and_not_to_another_users_number(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    with TestClient(create_app(wa_settings)) as client:
        silent = client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner)
        assert silent.status_code == 422
        assert "first send any WhatsApp message" in silent.json()["detail"]
        assert client.put(ME, json={"number": "not a number"}, headers=shop.owner).status_code == 422
        prove(app_engine, shop.client_id, shop.staff_id, OWNER_PHONE)
        deliver(runtime, says(number, OWNER_PHONE, "hello", ".hi"))
        drain(make_worker(runtime))
        taken = client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner)
        assert taken.status_code == 409
        assert client.delete(ME, headers=shop.staff).json()["number"] is None
        assert client.put(ME, json={"number": f"+{OWNER_PHONE}"}, headers=shop.owner).status_code == 202
    assert len(audit_actions(app_engine, shop.client_id, "whatsapp_number_removed")) == 1


def ask_for_a_discount(client: TestClient, runtime: Runtime, shop: Shop, number: str) -> Approval:
    """A customer's order with 15 % off (above the shop's 5 % auto-approval), confirmed: pending."""
    flows.add_product(client, shop, "Grey Hoodie", {"HOODIE-GRY": "40.00"}, stock=5, cost="20.00")
    deliver(runtime, says(number, CUSTOMER_PHONE, "I want to buy 2 grey hoodies, 15% off", ".ask"))
    drain(make_worker(runtime))
    deliver(runtime, from_phone(payload("button_reply", number, wamid_suffix=".yes"), CUSTOMER_PHONE, "Sheena"))
    drain(make_worker(runtime))
    with transaction(runtime.sessions, shop.client_id) as session:
        return session.scalars(select(Approval).where(Approval.client_id == shop.client_id)).one()


def status_of(runtime: Runtime, shop: Shop, approval_id: uuid.UUID) -> ApprovalStatus:
    with transaction(runtime.sessions, shop.client_id) as session:
        return session.get(Approval, approval_id).status


def test_proved_owners_get_the_request_with_buttons_and_a_tap_from_their_number_decides_it(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, says(number, OWNER_PHONE, "hello", ".owner"))
    drain(make_worker(runtime))
    prove(app_engine, shop.client_id, shop.owner_id, OWNER_PHONE)
    with TestClient(create_app(wa_settings)) as client:
        approval = ask_for_a_discount(client, runtime, shop, number)
    assert approval.status is ApprovalStatus.PENDING
    [request] = [s for s in sent_texts(graph_api) if s["to"] == OWNER_PHONE and s["type"] == "interactive"]
    assert request["interactive"]["body"]["text"].startswith("Approval needed: ")
    buttons = [b["reply"] for b in request["interactive"]["action"]["buttons"]]
    assert buttons == [
        {"id": f"approval:{approval.id}:approve", "title": "Approve"},
        {"id": f"approval:{approval.id}:reject", "title": "Reject"},
    ]
    [row] = [o for o in outbound(app_engine, shop.client_id) if o.key == f"owner:{approval.id}:{shop.owner_id}"]
    assert (row.user_id, row.customer_id) == (shop.owner_id, None)

    deliver(runtime, taps(number, OWNER_PHONE, buttons[0]["id"], ".approve"))
    drain(make_worker(runtime))
    assert status_of(runtime, shop, approval.id) is ApprovalStatus.APPROVED
    told_owner = [s for s in sent_texts(graph_api) if s["to"] == OWNER_PHONE][-1]
    assert told_owner["text"]["body"].startswith("Approved: ")
    told_customer = [s for s in sent_texts(graph_api) if s["to"] == CUSTOMER_PHONE][-1]
    assert told_customer["text"]["body"].startswith("Order #")  # the customer's thread resumed, without them writing

    deliver(runtime, taps(number, OWNER_PHONE, buttons[1]["id"], ".late"))  # a second tap, too late
    drain(make_worker(runtime))
    assert "already approved" in [s for s in sent_texts(graph_api) if s["to"] == OWNER_PHONE][-1]["text"]["body"]
    assert status_of(runtime, shop, approval.id) is ApprovalStatus.APPROVED


def test_the_button_payload_from_a_customer_staff_or_another_shops_owner_decides_nothing(
    wa_settings: Settings,
    runtime: Runtime,
    graph_api: respx.MockRouter,
    app_engine: Engine,
    shop: Shop,
    other_shop: Shop,
    number: str,
) -> None:
    prove(app_engine, shop.client_id, shop.staff_id, STAFF_PHONE)
    deliver(runtime, says(number, STAFF_PHONE, "hello, it is the clerk", ".clerk"))  # a window open, yet no request
    drain(make_worker(runtime))
    prove(app_engine, other_shop.client_id, other_shop.owner_id, OWNER_PHONE)  # an owner, but of another shop
    with TestClient(create_app(wa_settings)) as client:
        approval = ask_for_a_discount(client, runtime, shop, number)
    hostile = f"approval:{approval.id}:approve"
    for suffix, phone in ((".customer", CUSTOMER_PHONE), (".staff", STAFF_PHONE), (".stranger", OWNER_PHONE)):
        deliver(runtime, taps(number, phone, hostile, suffix))
        drain(make_worker(runtime))
        answer = [s for s in sent_texts(graph_api) if s["to"] == phone][-1]["text"]["body"]
        assert "only the shop's owners decide" in answer
    forged_text = says(number, CUSTOMER_PHONE, hostile, ".typed")  # the id typed as words goes to the agent
    deliver(runtime, forged_text)
    drain(make_worker(runtime))
    unknown = taps(number, CUSTOMER_PHONE, f"approval:{uuid.uuid4()}:approve", ".unknown")
    deliver(runtime, unknown)
    drain(make_worker(runtime))
    assert status_of(runtime, shop, approval.id) is ApprovalStatus.PENDING
    refusals = audit_actions(app_engine, shop.client_id, "approval_refused")
    assert [e.detail["role"] for e in refusals] == ["customer", "staff", "customer", "customer"]
    assert all(e.target_id for e in refusals)
    assert not [s for s in sent_texts(graph_api) if s["type"] == "interactive" and s["to"] == STAFF_PHONE]


def test_an_owner_outside_the_window_gets_the_chosen_template_and_one_without_a_number_nothing(
    wa_settings: Settings, runtime: Runtime, graph_api: respx.MockRouter, app_engine: Engine, shop: Shop, number: str
) -> None:
    deliver(runtime, says(number, OWNER_PHONE, "hello", ".owner"))
    drain(make_worker(runtime))
    prove(app_engine, shop.client_id, shop.owner_id, OWNER_PHONE)
    bind_number(app_engine, shop.client_id, number, whatsapp_fallback_template="news", whatsapp_template_language="en")
    with transaction(runtime.sessions, shop.client_id) as session:
        session.execute(
            update(Customer)
            .where(Customer.client_id == shop.client_id, Customer.wa_id == OWNER_PHONE)
            .values(last_inbound_at=utcnow() - timedelta(hours=25))
        )
    with TestClient(create_app(wa_settings)) as client:
        ask_for_a_discount(client, runtime, shop, number)
    [to_owner] = [s for s in sent_texts(graph_api) if s["to"] == OWNER_PHONE and s["type"] != "text"]
    assert to_owner["type"] == "template"
    assert to_owner["template"]["name"] == "news"
    assert to_owner["template"]["components"][0]["parameters"] == [{"type": "text", "text": "owner"}]
    with transaction(runtime.sessions, shop.client_id) as session:
        keys = list(session.scalars(select(OutboundMessage.key).where(OutboundMessage.user_id.is_not(None))))
    assert [k.split(":")[0] for k in keys] == ["owner"]  # the staff member (no number) got nothing
