"""Phone numbers in E.164: how a number typed by staff and a WhatsApp id become the same key."""

from __future__ import annotations

import re

from domain.errors import ValidationFailed

_SEPARATORS = re.compile(r"[\s().\-/]")
MIN_DIGITS, MAX_DIGITS = 8, 15


def to_e164(raw: str, calling_code: str | None) -> str:
    """`raw` as `+<country code><number>`.

    "+234 803 123 4567" and "002348031234567" are already international; "08031234567" (trunk 0)
    and "8031234567" are local and take the shop's `calling_code`; "2348031234567" (a WhatsApp id)
    starts with the code and is kept. A local number without a calling code is refused.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
    elif not text.isdigit():
        raise ValidationFailed(f"{raw!r} is not a phone number: use digits, spaces and an optional leading +")
    elif calling_code is None:
        raise ValidationFailed(
            f"{raw!r} has no country code: type it as +<country code><number>, or set the business's "
            "country calling code so local numbers are completed"
        )
    elif text.startswith("0"):
        digits = calling_code + text.lstrip("0")
    elif text.startswith(calling_code) and len(text) - len(calling_code) >= 7:
        digits = text
    else:
        digits = calling_code + text
    if not digits.isdigit() or digits.startswith("0") or not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise ValidationFailed(f"{raw!r} is not a valid phone number (E.164 has 8 to 15 digits)")
    return "+" + digits


def from_wa_id(wa_id: str) -> str:
    """A WhatsApp id is the international number without `+`."""
    return to_e164("+" + wa_id, None)
