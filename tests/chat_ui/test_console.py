"""The console's operations against the real runtime: login through the domain, streamed turns
with tool steps, conversations reopened, approvals decided, photo search, the owner's views and
the superadmin's Client Admin."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from chat_ui import charts, panels
from chat_ui.accounts import ConsoleUser
from chat_ui.console import Console, in_thread
from domain.auth import LoginLockout
from domain.errors import AuthenticationFailed, Forbidden, RateLimited
from domain.models import ApprovalStatus, AuditEvent
from domain.pictures import encode, product_picture
from graph.turns import Turn, TurnEvent
from infra.db import make_session_factory, transaction
from tests.api.conftest import Shop


def owner(console: Console, shop: Shop) -> ConsoleUser:
    return console.log_in(f"owner@{shop.client_id}", "owner-password")


def clerk(console: Console, shop: Shop) -> ConsoleUser:
    return console.log_in(f"clerk@{shop.client_id}", "clerk-password")


def test_users_log_in_as_user_at_client_through_the_domain_with_audit_and_lockout(
    console: Console, shop: Shop, app_engine
) -> None:
    user = owner(console, shop)
    assert (user.client_id, user.username, user.is_owner) == (shop.client_id, "owner", True)
    assert user.identifier == f"owner@{shop.client_id}"
    assert ConsoleUser.from_metadata(user.to_metadata()) == user
    with pytest.raises(AuthenticationFailed):
        console.log_in(f"clerk@{shop.client_id}", "wrong-password")
    with transaction(make_session_factory(app_engine), shop.client_id) as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.channel).where(AuditEvent.client_id == shop.client_id)
        ).all()
    assert ("login", "console") in events
    assert ("login_failed", "console") in events
    # the console knows no client IP: only the per-username count applies (50 in the window, not 5)
    for _ in range(LoginLockout.DEFAULT.per_username - 1):
        with pytest.raises(AuthenticationFailed):
            console.log_in(f"clerk@{shop.client_id}", "wrong-password")
    with pytest.raises(RateLimited):
        console.log_in(f"clerk@{shop.client_id}", "clerk-password")


def test_a_turn_streams_tokens_and_tool_steps_and_the_conversation_can_be_reopened(
    console: Console, shop: Shop, add_product
) -> None:
    add_product(shop, "MUG-LOW", "Low Mug", stock=2)
    staff = clerk(console, shop)
    items = list(console.stream(staff, "what is low on stock?", "c-low"))
    turn = items[-1]
    assert isinstance(turn, Turn)
    assert "MUG-LOW" in turn.reply
    steps = [item.data for item in items if isinstance(item, TurnEvent) and item.kind == "tool_result"]
    low = next(step for step in steps if step["name"] == "list_low_stock")
    assert "MUG-LOW" in low["output"]
    assert isinstance(low["args"], dict)
    delegation = next(step for step in steps if step["name"].startswith("ask_"))
    assert delegation["args"]  # the supervisor's request to the specialist, as the step's input
    assert any(isinstance(item, TurnEvent) and item.kind == "token" for item in items)

    listed = console.conversations(staff)
    assert [(c.id, c.title, c.turns) for c in listed] == [("c-low", "what is low on stock?", 1)]
    history = console.history(staff, "c-low")
    assert [(e.question, e.answer) for e in history] == [("what is low on stock?", turn.reply)]
    assert console.conversations(owner(console, shop)) == []  # another user's conversations are theirs


def test_a_staff_discount_above_the_threshold_is_approved_in_the_console_and_the_order_placed(
    console: Console, shop: Shop, add_product
) -> None:
    add_product(shop, "HOODIE-GRY", "Grey Hoodie", price="40.00", stock=5)
    staff, boss = clerk(console, shop), owner(console, shop)
    asked = console.runtime.conversations.send(staff.context(), "I want to buy 2 grey hoodies, 15% off", "c-disc")
    assert asked.pending["kind"] == "confirm"
    waiting = console.runtime.conversations.send(staff.context(), "yes", "c-disc")
    assert waiting.pending["kind"] == "approval"
    assert console.pending_approvals(staff) == []  # staff see no owner's queue
    pending = console.pending_approvals(boss)
    assert len(pending) == 1
    assert "Discount asked: **15 %**" in panels.approval_text(pending[0])

    decision = console.decide(boss, pending[0].id, approve=True)
    assert decision.approval.status is ApprovalStatus.APPROVED
    assert panels.decision_text(decision).startswith("Approved: order #1001 placed")
    assert console.pending_approvals(boss) == []
    history = console.history(staff, "c-disc")
    assert history[-1].answer.startswith("Order #1001 is placed")


def test_a_decision_for_a_whatsapp_requester_goes_through_its_registered_notifier(
    console: Console, shop: Shop, add_product
) -> None:
    from domain import tenancy
    from domain.context import Context
    from domain.models import Channel, Role

    add_product(shop, "HOODIE-BLU", "Blue Hoodie", price="40.00", stock=5)
    with transaction(console.runtime.sessions, shop.client_id) as session:
        owner_ctx = Context(shop.client_id, Role.OWNER, Channel.SYSTEM, shop.owner_id)
        alice = tenancy.get_or_create_customer(session, owner_ctx, wa_id="2348031112222", name="Alice")
        customer = Context(shop.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=alice.id)
    conversations = console.runtime.conversations
    conversations.send(customer, "I want to buy 1 blue hoodie, 15% off", "wa-1")
    conversations.send(customer, "yes", "wa-1")
    told: list[tuple[str, str]] = []
    console.notifiers[Channel.WHATSAPP] = lambda recipient, text: told.append((recipient.channel.value, text))
    boss = owner(console, shop)
    console.decide(boss, console.pending_approvals(boss)[0].id, approve=False)
    assert told == [("whatsapp", "Sorry, the owner did not approve that discount, so nothing changed.")]


def test_a_product_photo_finds_the_product_with_its_pictures(console: Console, shop: Shop, add_product) -> None:
    add_product(shop, "TOTE-NAT", "Canvas Tote Bag", price="16.00", stock=4, picture=12)
    add_product(shop, "MUG-BLU", "Ceramic Coffee Mug", price="9.50", stock=4, picture=17)
    photo = product_picture(12, size=200).crop((10, 10, 190, 190))
    matches = console.photo_search(clerk(console, shop), encode(photo, "JPEG", quality=80))
    assert matches[0].name == "Canvas Tote Bag"
    assert matches[0].skus == ["TOTE-NAT"]
    assert [mime for _, mime in matches[0].pictures] == ["image/png"]
    assert "1. **Canvas Tote Bag** (TOTE-NAT), USD 16.00" in panels.photo_matches_text(matches, "USD")


def test_the_dashboard_has_an_empty_state_then_charts_in_the_shops_currency(
    console: Console, shop: Shop, add_product
) -> None:
    boss = owner(console, shop)
    assert console.dashboard(boss).is_empty
    add_product(shop, "HAT-STR", "Straw Hat", price="18.00", stock=10, cost="6.00")
    console.runtime.conversations.send(boss.context(), "I want to buy 3 straw hats", "c-hat")
    console.runtime.conversations.send(boss.context(), "yes", "c-hat")
    data = console.dashboard(boss)
    assert not data.is_empty
    assert data.dashboard.month_to_date.order_count == 1
    assert "USD 54.00" in charts.kpi_strip(data)
    figures = charts.figures(data)
    assert list(figures["top and bottom products"].data[0].x) == ["Straw Hat"]
    assert [row.sku for row in data.inventory_days] == ["HAT-STR"]
    with pytest.raises(Forbidden):
        console.dashboard(clerk(console, shop))


def test_the_control_panel_counts_console_logins_and_failed_logins(console: Console, shop: Shop) -> None:
    boss = owner(console, shop)
    with pytest.raises(AuthenticationFailed):
        console.log_in(f"owner@{shop.client_id}", "not-the-password")
    panel = console.control_panel(boss)
    assert [(a.channel, a.logins) for a in panel.activity] == [("console", 1)]
    assert sum(day.count for day in panel.failed_logins) == 1
    assert panel.freshness["audit events"] is not None
    assert panel.freshness["orders"] is None
    text = panels.control_panel_text(panel, "UTC")
    assert "| console | 1 | 0 |" in text
    assert "**Failed logins:** 1 in 14 days." in text
    policy = panels.policy_text(console.policy(boss))
    assert "**Discount cap:** 20.00 % (owner approval above 10.00 %)" in policy
    assert "**Sales commission:** 5.00 %" in policy


def test_the_superadmin_sees_every_shop_filters_one_and_creates_a_shop_with_its_owner(
    console: Console, shop: Shop, root
) -> None:
    admin = console.log_in("root", "root-password")
    assert admin.is_superadmin
    assert shop.client_id in console.client_ids(admin)
    everything = console.client_admin(admin)  # the first 100 shops of the shared test database, by id
    assert len(panels.client_admin_table(everything)["client"]) == min(100, len(console.client_ids(admin)))
    one = console.client_admin(admin, shop.client_id)
    assert [row.client_id for row in one.clients] == [shop.client_id]
    new_id = f"corner_{shop.client_id[-6:]}"
    login = console.create_shop(admin, new_id, "Corner Shop", "NGN", "ada", "ada-password")
    assert login == f"ada@{new_id}"
    assert console.log_in(login, "ada-password").is_owner
    with pytest.raises(Forbidden):
        console.client_admin(owner(console, shop))


def test_in_thread_hands_items_over_as_they_come_and_raises_the_iterators_error() -> None:
    def items():
        yield 1
        yield 2
        raise ValueError("boom")

    seen: list[int] = []

    async def collect() -> None:
        async for item in in_thread(items):
            seen.append(item)

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(collect())
    assert seen == [1, 2]
