"""The pure WhatsApp rules: reading Meta's deliveries, what a message says, STOP/START, the 24-hour
window, interactive limits, the webhook signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import messaging
from domain.errors import ValidationFailed
from domain.models import DeliveryStatus
from infra.whatsapp import sign, signature_valid
from tests.api.whatsapp_support import payload


def test_a_text_delivery_gives_one_message_with_its_sender_and_time() -> None:
    [message] = messaging.parse_delivery(payload("text", "111")).messages
    assert (message.phone_number_id, message.wa_id, message.contact_name, message.kind) == (
        "111",
        "16505551234",
        "Sheena Nelson",
        "text",
    )
    assert messaging.message_text(message.kind, message.payload) == "Does it come in another color?"
    assert message.sent_at is not None
    assert message.sent_at.tzinfo is UTC


def test_several_entries_keep_their_own_numbers_and_the_business_scoped_user_id() -> None:
    delivery = messaging.parse_delivery(payload("several_entries", "111", "222"))
    assert [(m.phone_number_id, m.kind) for m in delivery.messages] == [
        ("111", "text"),
        ("111", "sticker"),
        ("222", "text"),
    ]
    assert delivery.messages[0].wa_user_id == "US.13491208655302741918"
    assert delivery.messages[2].wa_user_id is None


def test_button_and_list_replies_read_as_their_titles() -> None:
    [button] = messaging.parse_delivery(payload("button_reply", "1")).messages
    [row] = messaging.parse_delivery(payload("list_reply", "1")).messages
    assert messaging.message_text(button.kind, button.payload) == "Yes"
    assert messaging.message_text(row.kind, row.payload) == "Express Shipping"


def test_an_image_and_an_order_are_not_words_and_an_order_has_its_skus() -> None:
    [image] = messaging.parse_delivery(payload("image", "1")).messages
    [order] = messaging.parse_delivery(payload("order", "1")).messages
    assert messaging.message_text(image.kind, image.payload) is None
    assert messaging.order_items(order.payload) == [
        messaging.OrderItem("di9ozbzfi4", 2),
        messaging.OrderItem("nqryix03ez", 1),
    ]
    with pytest.raises(ValidationFailed):
        messaging.order_items({"order": {"product_items": []}})


def test_statuses_carry_their_kind_time_and_error() -> None:
    delivery = messaging.parse_delivery(payload("statuses", "1"))
    assert [s.status for s in delivery.statuses] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.READ,
        DeliveryStatus.FAILED,
    ]
    assert delivery.statuses[2].error == "131047: Re-engagement message"
    assert delivery.messages == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"object": "page"},
        {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": "x", "from": "1"}]}}]}]},
    ],
)
def test_a_body_of_another_shape_is_refused(body: object) -> None:
    with pytest.raises(ValidationFailed):
        messaging.parse_delivery(body)


@pytest.mark.parametrize(
    ("text", "command"), [("STOP", False), (" stop! ", False), ("Start", True), ("stop it", None), (None, None)]
)
def test_stop_and_start_are_whole_messages(text: str | None, command: bool | None) -> None:
    assert messaging.subscription_command(text) is command


def test_the_window_closes_24_hours_after_the_customers_last_message() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert messaging.window_open(now - timedelta(hours=23, minutes=59), now)
    assert not messaging.window_open(now - timedelta(hours=24), now)
    assert not messaging.window_open(None, now)


def test_buttons_take_at_most_three_choices_and_lists_at_most_ten_rows() -> None:
    three = messaging.buttons_payload("1", "Confirm?", [("a", "A"), ("b", "B"), ("c", "C")])
    assert len(three["interactive"]["action"]["buttons"]) == 3
    with pytest.raises(ValidationFailed):
        messaging.buttons_payload("1", "Confirm?", [(str(i), str(i)) for i in range(4)])
    assert (
        len(
            messaging.list_payload("1", "Pick", "See", [(str(i), "t", "d") for i in range(10)])["interactive"][
                "action"
            ]["sections"][0]["rows"]
        )
        == 10
    )
    with pytest.raises(ValidationFailed):
        messaging.list_payload("1", "Pick", "See", [(str(i), "t", "d") for i in range(11)])


def test_the_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"entry": []}'
    assert signature_valid("secret", body, sign("secret", body))
    assert not signature_valid("secret", body + b" ", sign("secret", body))
    assert not signature_valid("secret", body, sign("other", body))
    assert not signature_valid("secret", body, None)
    assert not signature_valid("", body, sign("", body))


def test_nul_characters_are_dropped_from_a_delivery_before_it_is_stored() -> None:
    body = payload("text", "1")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "hi\x00 there"
    [message] = messaging.parse_delivery(body).messages
    assert message.payload["text"]["body"] == "hi there"
