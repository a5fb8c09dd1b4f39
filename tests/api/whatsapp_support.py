"""Helpers for the WhatsApp tests: Meta's example payloads bound to a test shop's number, signed
like Meta signs them, and settings with WhatsApp credentials."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import Engine, update

from domain import tenancy
from domain.context import Context
from domain.models import Channel, Client, Role
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from infra.whatsapp import sign

PAYLOADS = Path(__file__).parent / "data" / "whatsapp"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
GRAPH = "https://graph.test"
VERSION = "v21.0"
TOKEN = "EAAG-test-token"
META_NUMBERS = ("106540352242922", "106540352242923")


def whatsapp_settings(settings: Settings, **extra: object) -> Settings:
    """`settings` with an app secret, verify token and a fake Graph API base URL."""
    return settings.model_copy(
        update={
            "WHATSAPP_APP_SECRET": SecretStr(APP_SECRET),
            "WHATSAPP_VERIFY_TOKEN": SecretStr(VERIFY_TOKEN),
            "WHATSAPP_API_BASE_URL": GRAPH,
        }
        | extra
    )


def new_number() -> str:
    """A phone number id no other test uses."""
    return str(random.randrange(10**14, 10**15))


def bind_number(app_engine: Engine, client_id: str, number: str, **fields: object) -> None:
    """Give the client this WhatsApp phone number id (and other profile fields), committed."""
    with transaction(make_session_factory(app_engine)) as session:
        session.execute(update(Client).where(Client.id == client_id).values(whatsapp_phone_number_id=number, **fields))


def connect_whatsapp(app_engine: Engine, settings: Settings, client_id: str) -> str:
    """Give the client a fresh WhatsApp number with an access token, open around the clock; return the number."""
    bound = new_number()
    bind_number(app_engine, client_id, bound, opening_hours=clock(0, 0), closing_hours=clock(23, 59, 59))
    owner = Context(client_id, Role.OWNER, Channel.REST)
    with transaction(make_session_factory(app_engine), client_id) as session:
        tenancy.set_whatsapp_access_token(session, owner, TOKEN, settings.secret_key())
    return bound


def payload(name: str, *numbers: str, wamid_suffix: str = "") -> dict[str, Any]:
    """Meta's example `name`, its phone number ids replaced by `numbers` (in order of META_NUMBERS),
    every wamid suffixed (so tests do not share inbox rows) and sent now (as a live delivery)."""
    text = (PAYLOADS / f"{name}.json").read_text()
    for meta, ours in zip(META_NUMBERS, numbers, strict=False):
        text = text.replace(meta, ours)
    body = json.loads(text)
    for entry in body["entry"]:
        for change in entry["changes"]:
            for message in change["value"].get("messages", []):
                message["id"] += wamid_suffix
                message["timestamp"] = str(int(time.time()))
    return body


def signed(body: dict[str, Any] | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a delivery signed with `secret`."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"X-Hub-Signature-256": sign(secret, raw), "Content-Type": "application/json"}


@contextmanager
def fake_graph(number: str) -> Iterator[respx.MockRouter]:
    """The Graph API's /messages for `number` (respx, at the HTTP boundary), answering a fresh
    wamid per send; its route is named `send`."""
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{GRAPH}/{VERSION}/{number}/messages", name="send").mock(
            side_effect=lambda _: httpx.Response(200, json={"messages": [{"id": f"wamid.out.{uuid.uuid4().hex}"}]})
        )
        yield router
