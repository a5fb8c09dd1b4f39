"""E.164 phone numbers: a local number typed at the counter and a WhatsApp id are the same key."""

from __future__ import annotations

import pytest

from domain.errors import ValidationFailed
from domain.phones import from_wa_id, to_e164


@pytest.mark.parametrize(
    "typed",
    [
        "0803 123 4567",
        "08031234567",
        "8031234567",
        "+234 803 123 4567",
        "002348031234567",
        "2348031234567",
        "(0803) 123-4567",
    ],
)
def test_every_way_of_typing_a_lagos_number_is_one_e164_number(typed: str) -> None:
    assert to_e164(typed, "234") == "+2348031234567"


def test_a_whatsapp_id_is_the_number_with_a_plus() -> None:
    assert from_wa_id("2348031234567") == to_e164("0803 123 4567", "234")


def test_a_us_number_without_its_country_code_takes_the_shops() -> None:
    assert to_e164("202-555-0123", "1") == "+12025550123"
    assert to_e164("1 202 555 0123", "1") == "+12025550123"


def test_a_local_number_needs_the_shops_calling_code() -> None:
    with pytest.raises(ValidationFailed, match="country calling code"):
        to_e164("0803 123 4567", None)
    assert to_e164("+44 20 7946 0958", None) == "+442079460958"


@pytest.mark.parametrize("bad", ["call me", "+0803123", "+1234", "+1234567890123456", "0803-ABC"])
def test_what_is_not_a_phone_number_is_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        to_e164(bad, "234")
