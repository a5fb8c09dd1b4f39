"""The console's customer inbox and human handoff over the real runtime and WhatsApp worker (Graph
faked at the HTTP boundary), the live push of an owner's decision to the requester's open session,
and the superadmin's per-shop lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
import respx

from chat_ui import panels
from chat_ui.accounts import ConsoleUser
from chat_ui.console import Console
from domain import messaging
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.messaging import Inbound
from graph.runtime import open_runtime
from infra.db import transaction
from infra.settings import Settings
from tests.api.conftest import Shop
from tests.api.test_whatsapp_worker import deliver, drain, make_worker, sent_texts
from tests.api.whatsapp_support import payload, whatsapp_settings

SHEENA = "16505551234"
"""The sender of Meta's example text message."""


@pytest.fixture
def wa_console(settings: Settings, redis_client: redis.Redis) -> Iterator[Console]:
    """The console over a runtime whose Graph API is the fake one."""
    with open_runtime(whatsapp_settings(settings)) as runtime:
        runtime.whatsapp.sleep = lambda seconds: None
        yield Console(runtime)


def clerk(console: Console, shop: Shop) -> ConsoleUser:
    return console.log_in(f"clerk@{shop.client_id}", "clerk-password")


def owner(console: Console, shop: Shop) -> ConsoleUser:
    return console.log_in(f"owner@{shop.client_id}", "owner-password")


def test_a_customer_shows_in_the_inbox_and_staff_take_over_reply_once_through_the_outbox_and_hand_back(
    wa_console: Console, shop: Shop, number: str, graph_api: respx.MockRouter
) -> None:
    console, runtime = wa_console, wa_console.runtime
    staff = clerk(console, shop)
    assert console.inbox(staff) == []
    assert panels.inbox_text([]) == "No customer has written on WhatsApp yet."
    deliver(runtime, payload("text", number))
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 1  # the agent answered

    [thread] = console.inbox(staff)
    assert (thread.name, thread.wa_id, thread.handled_by, thread.window_open) == ("Sheena Nelson", SHEENA, None, True)
    assert [m.direction for m in thread.messages] == ["out", "in"]
    assert thread.messages[1].text == "Does it come in another color?"
    assert not thread.waiting
    text = panels.customer_thread_text(thread)
    assert "**Sheena Nelson** (16505551234) · the agent answers · window open" in text
    assert "Sheena Nelson: Does it come in another color?" in text

    taken = console.take_over(staff, thread.customer_id)
    assert taken.handled_by == "clerk"
    deliver(runtime, payload("text", number, wamid_suffix=".2"))
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 1  # silent while a person has the thread
    [waiting] = console.inbox(staff)
    assert waiting.waiting
    assert "**clerk** answers in person" in panels.customer_thread_text(waiting)
    assert "1 latest conversations, 1 waiting for an answer" in panels.inbox_text([waiting])

    line = console.reply(staff, thread.customer_id, "Hi, Ada from the shop: it comes in navy too.", key="msg-1")
    again = console.reply(staff, thread.customer_id, "Hi, Ada from the shop: it comes in navy too.", key="msg-1")
    assert again.id == line.id  # one console message, one outbound row
    assert (line.direction, line.state) == ("out", "pending")
    assert panels.human_reply_text(line, "Sheena Nelson") == (
        "Sent to Sheena Nelson on WhatsApp as the business: “Hi, Ada from the shop: it comes in navy too.” "
        "(state: pending)."
    )
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 2
    sent = sent_texts(graph_api)[-1]
    assert (sent["to"], sent["text"]["body"]) == (SHEENA, "Hi, Ada from the shop: it comes in navy too.")
    [answered] = console.inbox(staff)
    assert not answered.waiting
    assert answered.messages[0].state == "sent"
    with pytest.raises(ValidationFailed, match="empty"):
        console.reply(staff, thread.customer_id, "   ", key="msg-2")

    assert console.hand_back(staff, thread.customer_id).handled_by is None
    deliver(runtime, payload("text", number, wamid_suffix=".3"))
    drain(make_worker(runtime))
    assert graph_api["send"].call_count == 3  # the agent answers again


def test_the_inbox_is_the_shops_own(
    wa_console: Console, shop: Shop, other_shop: Shop, number: str, graph_api: respx.MockRouter
) -> None:
    deliver(wa_console.runtime, payload("text", number))
    drain(make_worker(wa_console.runtime))
    [thread] = wa_console.inbox(clerk(wa_console, shop))
    stranger = wa_console.log_in(f"clerk@{other_shop.client_id}", "clerk-password")
    assert wa_console.inbox(stranger) == []
    with pytest.raises(NotFound):
        wa_console.take_over(stranger, thread.customer_id)
    with pytest.raises(NotFound):
        wa_console.reply(stranger, thread.customer_id, "hello", key="k")


def test_a_person_answering_a_simulated_customer_is_simulated_too(console: Console, shop: Shop) -> None:
    at = datetime.now(UTC)
    message = {"from": "2348031234567", "id": "sim.inbox-1", "type": "text", "text": {"body": "hello"}}
    inbound = Inbound(f"sim-{shop.client_id}", "sim.inbox-1", "2348031234567", None, "Ada", "text", message, at)
    with transaction(console.runtime.sessions, shop.client_id) as session:
        [inbox_id] = messaging.store_inbound(session, shop.client_id, [inbound], simulated=True)
    make_worker(console.runtime).answer(shop.client_id, inbox_id)
    boss = owner(console, shop)
    [thread] = console.inbox(boss)
    assert [m.state for m in thread.messages] == ["simulated", "done"]
    line = console.reply(boss, thread.customer_id, "Hello Ada, how can I help?", key="m")
    assert line.state == "simulated"  # logged, never sent to the Graph API


def test_an_owners_decision_is_pushed_to_the_sessions_showing_the_requesters_conversation(
    console: Console, shop: Shop, add_product
) -> None:
    add_product(shop, "HOODIE-GRY", "Grey Hoodie", price="40.00", stock=5)
    staff, boss = clerk(console, shop), owner(console, shop)
    console.watch(staff, "c-disc", "staff-tab")
    console.watch(staff, "c-other", "staff-second-tab")
    console.watch(boss, "c-boss", "owner-tab")
    console.runtime.conversations.send(staff.context(), "I want to buy 2 grey hoodies, 15% off", "c-disc")
    console.runtime.conversations.send(staff.context(), "yes", "c-disc")
    [pending] = console.pending_approvals(boss)

    decision = console.decide(boss, pending.id, approve=True)
    assert console.live_sessions(decision, besides="owner-tab") == ["staff-tab"]
    assert panels.pushed_decision_text(decision).startswith(
        "**The owner approved your request.** Order #1001 is placed"
    )
    console.watch(staff, "c-other", "staff-tab")  # that tab moved on to another conversation
    assert console.live_sessions(decision) == []
    console.watch(staff, "c-disc", "staff-tab")
    console.watchers.forget("staff-tab")  # the browser left
    assert console.live_sessions(decision) == []


def test_the_superadmin_lists_one_shops_users_products_and_orders_or_all_shops(
    console: Console, shop: Shop, add_product, root
) -> None:
    add_product(shop, "HAT-STR", "Straw Hat", price="18.00", stock=10, cost="6.00")
    boss = owner(console, shop)
    console.runtime.conversations.send(boss.context(), "I want to buy 3 straw hats", "c-hat")
    console.runtime.conversations.send(boss.context(), "yes", "c-hat")
    admin = console.log_in("root", "root-password")

    lists = console.shop_lists(admin, shop.client_id)
    assert panels.users_table(lists)[["username", "role"]].values.tolist() == [["clerk", "staff"], ["owner", "owner"]]
    products = panels.products_table(lists).to_dict("records")
    assert [(p["product"], p["skus"], p["price from"], p["on hand"]) for p in products] == [
        ("Straw Hat", "HAT-STR", 18.0, 7)
    ]
    [order] = panels.orders_table(lists).to_dict("records")
    assert (order["client"], order["order"], order["total"]) == (shop.client_id, 1001, 54.0)
    assert panels.shop_lists_text(lists, shop.client_id) == (
        f"**Lists of shop {shop.client_id}:** 2 users, 1 products, 1 orders."
    )
    everything = console.shop_lists(admin, limit=1)
    assert everything.user_count > 2
    assert len(everything.users) == 1
    assert "(first 1 shown)" in panels.shop_lists_text(everything, None)
    with pytest.raises(NotFound):
        console.shop_lists(admin, "no_such_shop")
    with pytest.raises(Forbidden):
        console.shop_lists(boss, shop.client_id)
