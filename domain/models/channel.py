"""Where a request, an order or a conversation came from."""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    """The way in: REST, the WhatsApp webhook, the owner console, the chat route, the till, the system
    itself (seed, import), or the eval harness."""

    REST = "rest"
    WHATSAPP = "whatsapp"
    CONSOLE = "console"
    CHAT = "chat"
    POS = "pos"
    SYSTEM = "system"
    EVAL = "eval"
