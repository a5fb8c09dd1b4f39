"""Erasing a customer forgets their agent conversations (LangGraph checkpoints) on every channel and
scrubs their WhatsApp messages; other customers' stay."""

from __future__ import annotations

from dataclasses import replace

from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.postgres import PostgresSaver
from sqlalchemy import text
from sqlalchemy.orm import Session

from domain import audit, customers
from domain.context import Context
from domain.customers import CustomerDraft
from domain.models import Channel, InboxMessage, InboxState, OutboundMessage, OutboundState, Role
from graph.conversations import thread_key


def remember(saver: PostgresSaver, thread: str) -> None:
    """One real checkpoint with a stored channel value and a pending write, as a turn leaves them."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": ["my address is 12 Allen Avenue"]}
    checkpoint["channel_versions"] = {"messages": 1}
    config = saver.put(
        {"configurable": {"thread_id": thread, "checkpoint_ns": ""}},
        checkpoint,
        {"source": "input", "step": -1, "parents": {}},
        {"messages": 1},
    )
    saver.put_writes(config, [("messages", "and my phone is 0803 123 4567")], task_id="task-1")


def whatsapp(
    db: Session, ctx: Context, customer_id, wa_id: str, state: InboxState
) -> tuple[InboxMessage, OutboundMessage]:
    """A message from the customer and our reply, as the webhook and the worker store them."""
    inbound = InboxMessage(
        client_id=ctx.client_id,
        wamid=f"wamid.{wa_id}.{state.value}",
        phone_number_id="1098",
        wa_id=wa_id,
        contact_name="Ada Obi",
        kind="text",
        payload={"type": "text", "text": {"body": "deliver to 12 Allen Avenue"}},
        state=state,
        customer_id=customer_id,
    )
    reply = OutboundMessage(
        client_id=ctx.client_id,
        key=f"reply:{wa_id}:{state.value}",
        customer_id=customer_id,
        phone_number_id="1098",
        to_wa_id=wa_id,
        kind="text",
        payload={"type": "text", "text": {"body": "Ada, your order ships to 12 Allen Avenue"}},
        state=OutboundState.SENT if state is InboxState.DONE else OutboundState.PENDING,
    )
    db.add_all([inbound, reply])
    db.flush()
    return inbound, reply


def rows(db: Session, thread: str) -> dict[str, int]:
    return {
        table: db.scalar(text(f"SELECT count(*) FROM {table} WHERE thread_id = :t"), {"t": thread})
        for table in customers.CHECKPOINT_TABLES
    }


def test_erasing_a_customer_deletes_their_conversations_and_keeps_everyone_elses(
    db: Session, tenant_a: Context, tenant_b: Context
) -> None:
    ada = customers.create_customer(
        db, tenant_a, CustomerDraft(name="Ada", phone="+2348031234567", wa_id="2348031234567")
    )
    bola = customers.create_customer(db, tenant_a, CustomerDraft(name="Bola", phone="+2348031234568"))
    as_customer = Context(tenant_a.client_id, Role.CUSTOMER, Channel.WHATSAPP, customer_id=ada.id)
    threads = {
        "ada_whatsapp": thread_key(as_customer, "default"),
        "ada_chat": thread_key(replace(as_customer, channel=Channel.CHAT), "order-help"),
        "bola": thread_key(replace(as_customer, customer_id=bola.id), "default"),
        "other_shop": thread_key(replace(as_customer, client_id=tenant_b.client_id), "default"),
    }
    saver = PostgresSaver(db.connection().connection.driver_connection)  # inside the test's transaction
    for thread in threads.values():
        remember(saver, thread)
    assert all(count > 0 for count in rows(db, threads["ada_chat"]).values())
    answered = whatsapp(db, tenant_a, ada.id, "2348031234567", InboxState.DONE)
    waiting = whatsapp(db, tenant_a, None, "2348031234567", InboxState.RECEIVED)  # not yet linked to her
    other = whatsapp(db, tenant_a, bola.id, "2348031234568", InboxState.DONE)

    customers.erase_customer(db, tenant_a, ada.id)

    for name in ("ada_whatsapp", "ada_chat"):
        assert rows(db, threads[name]) == dict.fromkeys(customers.CHECKPOINT_TABLES, 0)
    for name in ("bola", "other_shop"):
        assert all(count > 0 for count in rows(db, threads[name]).values()), name
    assert saver.get_tuple({"configurable": {"thread_id": threads["bola"]}}) is not None
    for message in (*answered, *waiting, *other):
        db.refresh(message)
    for inbound, reply in (answered, waiting):
        assert (inbound.payload, inbound.wa_id, inbound.contact_name) == ({}, "", "")
        assert (reply.payload, reply.to_wa_id) == ({}, "")
    assert (waiting[0].state, waiting[1].state) == (InboxState.DEAD, OutboundState.DEAD)  # never answered now
    assert (answered[0].state, answered[1].state) == (InboxState.DONE, OutboundState.SENT)
    assert other[0].payload["text"]["body"] == "deliver to 12 Allen Avenue"
    assert other[1].to_wa_id == "2348031234568"
    events, _ = audit.list_events(db, tenant_a, action=audit.Action.CUSTOMER_ERASED)
    assert events[0].detail == {"threads": 2, "messages": 4}
