"""The message log over REST: every WhatsApp message in and out, paged and filtered, with its
timings, tokens and status, and its figures (real PostgreSQL, Redis, graph; fake Graph API)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import respx
from fastapi.testclient import TestClient

from api.main import create_app
from graph.runtime import Runtime
from infra.settings import Settings
from tests.api import test_whatsapp_worker as worker_tests
from tests.api.conftest import Shop
from tests.api.flows import V1, ok
from tests.api.test_whatsapp_worker import deliver, drain, make_worker
from tests.api.whatsapp_support import payload

# the WhatsApp worker tests' fixtures: a number with a token, a runtime, the fake Graph API
wa_settings, number, runtime, graph_api = (
    worker_tests.wa_settings,
    worker_tests.number,
    worker_tests.runtime,
    worker_tests.graph_api,
)
MESSAGES = f"{V1}/sessions/messages"


def test_the_log_pages_and_filters_every_message_with_its_timings_tokens_and_status(
    wa_settings: Settings,
    runtime: Runtime,
    graph_api: respx.MockRouter,
    shop: Shop,
    other_shop: Shop,
    number: str,
) -> None:
    for suffix in (".one", ".two"):
        deliver(runtime, payload("text", number, wamid_suffix=suffix))
        drain(make_worker(runtime))
    with TestClient(create_app(wa_settings)) as client:
        everything = ok(client.get(MESSAGES, headers=shop.staff))
        assert everything["total"] == 4
        assert [line["direction"] for line in everything["items"]] == ["out", "in", "out", "in"]  # newest first
        reply, question = everything["items"][0], everything["items"][1]
        assert reply["inbox_id"] == question["id"]
        assert (reply["state"], question["state"]) == ("sent", "done")
        assert reply["sent_at"] >= question["at"]
        assert reply["input_tokens"] > 0
        assert reply["turn_ms"] >= reply["llm_ms"] >= 0
        page = ok(client.get(MESSAGES, params={"limit": 2, "offset": 1}, headers=shop.owner))
        assert (page["total"], page["items"]) == (4, everything["items"][1:3])
        inbound = ok(client.get(MESSAGES, params={"direction": "in"}, headers=shop.owner))
        assert (inbound["total"], {line["direction"] for line in inbound["items"]}) == (2, {"in"})
        mine = ok(client.get(MESSAGES, params={"customer_id": question["customer_id"]}, headers=shop.owner))
        assert mine["total"] == 4
        nobody = ok(client.get(MESSAGES, params={"customer_id": str(uuid.uuid4())}, headers=shop.owner))
        assert nobody["total"] == 0
        later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        assert ok(client.get(MESSAGES, params={"since": later}, headers=shop.owner))["total"] == 0
        assert ok(client.get(MESSAGES, headers=other_shop.owner))["total"] == 0
        assert client.get(MESSAGES, params={"direction": "sideways"}, headers=shop.owner).status_code == 422
        assert client.get(MESSAGES).status_code == 401

        figures = ok(client.get(f"{MESSAGES}/figures", headers=shop.staff))
        assert {k: figures[k] for k in ("inbound", "outbound", "sent", "failed", "dead", "pending")} == {
            "inbound": 2,
            "outbound": 2,
            "sent": 2,
            "failed": 0,
            "dead": 0,
            "pending": 0,
        }
        assert figures["input_tokens"] == sum(line["input_tokens"] for line in everything["items"])
        assert 0 <= figures["reply_p50_ms"] <= figures["reply_p95_ms"]
        quiet = ok(client.get(f"{MESSAGES}/figures", params={"since": later}, headers=shop.owner))
        assert (quiet["inbound"], quiet["reply_p50_ms"]) == (0, None)
