"""The owner console: Chainlit callbacks only. Each one reads the session, calls `chat_ui.console`
(in a thread: the domain is synchronous) and renders what comes back with `chat_ui.charts` and
`chat_ui.panels`. Run with `easy-ecom console` (or as a child of `easy-ecom up`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import chainlit as cl
from chainlit.context import init_ws_context, local_steps
from chainlit.input_widget import Select
from chainlit.session import WebsocketSession

from chat_ui import charts, panels
from chat_ui.accounts import ConsoleUser
from chat_ui.console import Console, in_thread, shared_console
from domain.errors import AuthenticationFailed, DomainError, RateLimited
from domain.messaging import CustomerThread
from graph.turns import Turn, TurnEvent

R = TypeVar("R")
ALL_CLIENTS = "All clients"
COMMANDS = [
    {"id": "dashboard", "icon": "chart-line", "description": "Today's command-center dashboard"},
    {"id": "approvals", "icon": "check", "description": "Requests waiting for the owner"},
    {"id": "operations", "icon": "shield", "description": "Operations & control panel"},
    {"id": "inbox", "icon": "inbox", "description": "WhatsApp customers: take over, reply, hand back"},
    {"id": "conversations", "icon": "history", "description": "Continue an earlier conversation"},
]
STAFF_COMMANDS = [command for command in COMMANDS if command["id"] in ("inbox", "conversations")]


def _console() -> Console:
    return shared_console()


def _user() -> ConsoleUser:
    return ConsoleUser.from_metadata(cl.user_session.get("user").metadata)


async def _call(function: Callable[..., R], *args: object, **kwargs: object) -> R:
    return await asyncio.to_thread(function, *args, **kwargs)


async def _say(text: str, **extra: object) -> None:
    await cl.Message(content=text, **extra).send()


@cl.data_layer
def no_chainlit_data_layer() -> None:  # type: ignore[misc]
    """None: conversations live in our checkpointer and agent turns (reopened with the
    `/conversations` command); without this hook Chainlit would take DATABASE_URL for its own tables."""
    return None


@cl.password_auth_callback
async def log_in(identifier: str, password: str) -> cl.User | None:
    """`username@client_id` and password, through the domain's login (lockout and audit included)."""
    try:
        user = await _call(_console().log_in, identifier, password)
    except (AuthenticationFailed, RateLimited):
        return None
    return cl.User(identifier=user.identifier, metadata=user.to_metadata())


@cl.set_starters
async def starters(_user: cl.User | None = None, _language: str | None = None) -> list[cl.Starter]:
    """The five starters of a new chat."""
    return [cl.Starter(label=label, message=message) for label, message in panels.STARTERS]


@cl.on_chat_start
async def start() -> None:
    """A new conversation; owners get pending approvals and the policy sidebar, the superadmin the Client Admin view."""
    user = _user()
    if user.is_superadmin:
        await _client_admin_start(user)
        return
    _show_conversation(user, uuid.uuid4().hex)
    await cl.context.emitter.set_commands(COMMANDS if user.is_owner else STAFF_COMMANDS)
    if user.is_owner:
        await _policy_sidebar(user)
        await _show_approvals(user, quiet=True)


def _show_conversation(user: ConsoleUser, conversation: str) -> None:
    """The session's messages go to `conversation`; replies to it made elsewhere are pushed here."""
    cl.user_session.set("conversation", conversation)
    _console().watch(user, conversation, cl.context.session.id)


@cl.on_chat_end
async def end() -> None:
    """The browser left: nothing is pushed to this session any more."""
    _console().watchers.forget(cl.context.session.id)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """A command, a photo (image search) or a turn of the conversation, streamed with its tool steps."""
    user = _user()
    if user.is_superadmin:
        await _say("The superadmin manages shops here: use the client filter in the settings, or **Create a shop**.")
        return
    command = getattr(message, "command", None)
    if command:
        await COMMAND_HANDLERS[command](user)
        return
    photos = [e for e in message.elements if (getattr(e, "mime", "") or "").startswith("image/") and e.path]
    if photos:
        await _photo_search(user, Path(photos[0].path).read_bytes())
        return
    await _turn(user, message.content)


async def _turn(user: ConsoleUser, text: str) -> None:
    console, conversation = _console(), cl.user_session.get("conversation")
    answer = cl.Message(content="")
    streamed = False
    try:
        async for item in in_thread(lambda: console.stream(user, text, conversation)):
            if isinstance(item, TurnEvent) and item.kind == "token":
                streamed = True
                await answer.stream_token(item.data["text"])
            elif isinstance(item, TurnEvent) and item.kind == "tool_result":
                await _tool_step(item.data)
            elif isinstance(item, Turn):
                answer.content = item.reply
                await (answer.update() if streamed else answer.send())
                if panels.wants_dashboard(item.record.tools):
                    await _dashboard(user)
    except DomainError as exc:
        await _say(exc.message)


async def _tool_step(data: dict[str, object]) -> None:
    """One tool call as a step inside the message's run (collapsed): its arguments in, its result out."""
    async with cl.Step(name=str(data["name"]), type="tool", show_input="json", default_open=False) as step:
        step.input = panels.tool_input(data["args"])  # type: ignore[arg-type]
        step.output = str(data["output"])


async def _dashboard(user: ConsoleUser) -> None:
    if not user.is_owner:
        await _say("The dashboard is the owner's.")
        return
    data = await _call(_console().dashboard, user)
    if data.is_empty:
        await _say(charts.EMPTY_STATE)
        return
    elements: list[cl.Element] = [
        cl.Plotly(name=name, figure=figure, display="inline") for name, figure in charts.figures(data).items()
    ]
    elements += [cl.Dataframe(name=name, data=table, display="inline") for name, table in charts.tables(data).items()]
    await _say(f"**Command center** ({data.dashboard.currency})\n\n{charts.kpi_strip(data)}", elements=elements)


async def _show_approvals(user: ConsoleUser, *, quiet: bool = False) -> None:
    pending = await _call(_console().pending_approvals, user)
    if not pending and not quiet:
        await _say("No request waits for your approval.")
    for approval in pending:
        payload = {"id": str(approval.id)}
        actions = [
            cl.Action(name="approve", payload=payload, label="Approve", icon="check"),
            cl.Action(name="reject", payload=payload, label="Reject", icon="x"),
        ]
        cl.user_session.set(f"approval:{approval.id}", actions)
        await _say(panels.approval_text(approval), actions=actions)


async def _decide(action: cl.Action, *, approve: bool) -> None:
    user = _user()
    try:
        decision = await _call(_console().decide, user, uuid.UUID(action.payload["id"]), approve=approve)
    except DomainError as exc:
        await _say(exc.message)
        return
    for button in cl.user_session.get(f"approval:{action.payload['id']}") or [action]:
        await button.remove()
    await _say(panels.decision_text(decision))
    for session_id in _console().live_sessions(decision, besides=cl.context.session.id):
        await _push(session_id, panels.pushed_decision_text(decision))


async def _push(session_id: str, text: str) -> None:
    """Show `text` in another open console session (a requester waiting on the owner), without a
    reload: a task of its own in that session's context, so this session's context is untouched."""
    session = WebsocketSession.get_by_id(session_id)
    if session is None:  # the browser left without an end event
        _console().watchers.forget(session_id)
        return

    async def send() -> None:
        local_steps.set(None)  # not a step of the deciding session's run
        init_ws_context(session)
        await cl.Message(content=text).send()

    await asyncio.create_task(send())


@cl.action_callback("approve")
async def approve(action: cl.Action) -> None:
    """The owner approves: the action runs and the requester's conversation resumes."""
    await _decide(action, approve=True)


@cl.action_callback("reject")
async def reject(action: cl.Action) -> None:
    """The owner rejects: nothing changes, the requester is told."""
    await _decide(action, approve=False)


async def _photo_search(user: ConsoleUser, data: bytes) -> None:
    try:
        matches = await _call(_console().photo_search, user, data)
    except DomainError as exc:
        await _say(exc.message)
        return
    currency = cl.user_session.get("currency") or ""
    elements = [
        cl.Image(name=f"{match.name} {index}", content=content, mime=mime, display="inline", size="small")
        for match in matches
        for index, (content, mime) in enumerate(match.pictures, 1)
    ]
    await _say(panels.photo_matches_text(matches, currency), elements=elements)


async def _operations(user: ConsoleUser) -> None:
    panel = await _call(_console().control_panel, user)
    snapshot = await _call(_console().policy, user)
    figure = cl.Plotly(name="failed logins", figure=panels.failed_logins_figure(panel), display="inline")
    await _say(panels.control_panel_text(panel, snapshot.client.timezone), elements=[figure])


async def _policy_sidebar(user: ConsoleUser) -> None:
    snapshot = await _call(_console().policy, user)
    cl.user_session.set("currency", snapshot.client.currency)
    await cl.ElementSidebar.set_title("Policy snapshot")
    await cl.ElementSidebar.set_elements([cl.Text(name="policy", content=panels.policy_text(snapshot))])


async def _conversations(user: ConsoleUser) -> None:
    listed = await _call(_console().conversations, user)
    if not listed:
        await _say("No earlier conversation yet.")
        return
    actions = [
        cl.Action(name="reopen", payload={"id": c.id}, label=panels.conversation_label(c), icon="history")
        for c in listed
    ]
    await _say(panels.conversations_text(listed), actions=actions)


@cl.action_callback("reopen")
async def reopen(action: cl.Action) -> None:
    """Continue an earlier conversation: show it again, and the next message goes to it."""
    user, conversation = _user(), action.payload["id"]
    exchanges = await _call(_console().history, user, conversation)
    _show_conversation(user, conversation)
    for exchange in exchanges:
        await cl.Message(content=exchange.question, author=user.identifier, type="user_message").send()
        if exchange.answer:
            await _say(exchange.answer)
    await _say("You are back in this conversation; carry on.")


# -- customer inbox (WhatsApp) and human handoff ---------------------------------------------


async def _inbox(user: ConsoleUser) -> None:
    threads = await _call(_console().inbox, user)
    await _say(panels.inbox_text(threads))
    for thread in threads:
        await _show_thread(thread)


async def _show_thread(thread: CustomerThread) -> None:
    """A customer's conversation with its handoff buttons (this customer's earlier buttons go)."""
    key = f"customer:{thread.customer_id}"
    for button in cl.user_session.get(key) or []:
        await button.remove()
    payload = {"id": str(thread.customer_id), "name": panels.customer_label(thread)}
    if thread.handled_by:
        actions = [
            cl.Action(name="reply_customer", payload=payload, label="Reply", icon="send"),
            cl.Action(name="hand_back", payload=payload, label="Hand back", icon="bot"),
        ]
    else:
        actions = [cl.Action(name="take_over", payload=payload, label="Take over", icon="hand")]
    cl.user_session.set(key, actions)
    await _say(panels.customer_thread_text(thread), actions=actions)


async def _handoff(change: Callable[[ConsoleUser, uuid.UUID], CustomerThread], action: cl.Action) -> None:
    try:
        thread = await _call(change, _user(), uuid.UUID(action.payload["id"]))
    except DomainError as exc:
        await _say(exc.message)
        return
    await _show_thread(thread)


@cl.action_callback("take_over")
async def take_over(action: cl.Action) -> None:
    """The user answers this customer in person; the agent goes silent on the thread."""
    await _handoff(_console().take_over, action)


@cl.action_callback("hand_back")
async def hand_back(action: cl.Action) -> None:
    """The agent answers this customer again."""
    await _handoff(_console().hand_back, action)


@cl.action_callback("reply_customer")
async def reply_customer(action: cl.Action) -> None:
    """Ask for the message, then send it to the customer as the business, through the WhatsApp outbox."""
    name, customer_id = action.payload["name"], uuid.UUID(action.payload["id"])
    question = f"Your message to {name} (sent on WhatsApp as the business):"
    answer = await cl.AskUserMessage(content=question, timeout=600).send()
    if not answer or not answer["output"].strip():
        await _say("Nothing was sent.")
        return
    user = _user()
    try:
        line = await _call(_console().reply, user, customer_id, answer["output"].strip(), answer["id"])
        thread = await _call(_console().customer_thread, user, customer_id)
    except DomainError as exc:
        await _say(f"Not sent: {exc.message}")
        return
    await _say(panels.human_reply_text(line, name))
    await _show_thread(thread)


COMMAND_HANDLERS = {
    "dashboard": _dashboard,
    "approvals": _show_approvals,
    "operations": _operations,
    "inbox": _inbox,
    "conversations": _conversations,
}


# -- Client Admin (superadmin) ---------------------------------------------------------------


async def _client_admin_start(user: ConsoleUser) -> None:
    client_ids = await _call(_console().client_ids, user)
    await cl.ChatSettings(
        [Select(id="client", label="Client filter", values=[ALL_CLIENTS, *client_ids], initial_index=0)]
    ).send()
    await _client_admin(user, None)


async def _client_admin(user: ConsoleUser, client_id: str | None) -> None:
    overview = await _call(_console().client_admin, user, client_id)
    table = cl.Dataframe(name="shops", data=panels.client_admin_table(overview), display="inline")
    create = cl.Action(name="create_shop", payload={}, label="Create a shop", icon="plus")
    await _say(panels.client_admin_text(overview, client_id), elements=[table], actions=[create])
    lists = await _call(_console().shop_lists, user, client_id)
    tables = {
        "users": panels.users_table(lists),
        "products": panels.products_table(lists),
        "orders": panels.orders_table(lists),
    }
    elements = [cl.Dataframe(name=name, data=data, display="inline") for name, data in tables.items()]
    await _say(panels.shop_lists_text(lists, client_id), elements=elements)


@cl.on_settings_update
async def filter_clients(settings: dict[str, str]) -> None:
    """The superadmin's client filter (default all)."""
    choice = settings.get("client", ALL_CLIENTS)
    await _client_admin(_user(), None if choice == ALL_CLIENTS else choice)


@cl.action_callback("create_shop")
async def create_shop(_action: cl.Action) -> None:
    """Ask for the shop and its owner, then open both."""
    answers: list[str] = []
    for question in (
        "Shop id (lowercase, e.g. corner_shop)?",
        "Shop name?",
        "Currency (3 letters, e.g. USD)?",
        "Owner username?",
        "Owner password (8+ characters)?",
    ):
        reply = await cl.AskUserMessage(content=question, timeout=300).send()
        if not reply:
            await _say("Shop creation cancelled.")
            return
        answers.append(reply["output"].strip())
    shop_id, name, currency, username, password = answers
    try:
        login = await _call(_console().create_shop, _user(), shop_id, name, currency.upper(), username, password)
    except DomainError as exc:
        await _say(f"Not created: {exc.message}")
        return
    await _say(f"Shop **{shop_id}** is open; its owner logs in as `{login}`.")
