"""schemathesis against the app's own OpenAPI schema, in process: no server errors, responses (and
their status codes and media types) as documented, and never a secret in a body.

Shop routes run with an owner's token and admin routes with the superadmin's, against a committed
shop that has products, stock, a pending and a delivered order and a return. About half of the
generated ids (path, query, body) are swapped for those real ones, so reads and writes reach real
rows as well as the 404 paths. Every operation of the schema is tested; none is excluded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.main import create_app
from api.security import Principal
from domain import auth as auth_service
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import bearer, committed_shop
from tests.api.flows import V1, add_product, delivered_order, place_order, return_items
from tests.conftest import TEST_SECRET

SECRETS_IN_TEXT = re.compile(r"password_hash|totp_secret|\$argon2", re.IGNORECASE)


@schemathesis.check
def no_secrets_in_the_body(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """No response ever carries a password hash or a stored TOTP secret."""
    if SECRETS_IN_TEXT.search(response.text):
        raise AssertionError(f"a secret-looking field in the response of {case.operation.label}")


class RealData:
    """Ids of committed rows, and the rule that swaps about half of the generated ids for them."""

    def __init__(self, ids: dict[str, list[str]], headers: dict[str, str], admin_headers: dict[str, str]) -> None:
        self.ids, self.headers, self.admin_headers = ids, headers, admin_headers

    def pick(self, name: str, generated: object) -> object:
        """A real value for parameter or field `name` when the generated one "votes" for it (even byte sum)."""
        real = self.ids.get(name)
        if not real or not isinstance(generated, str):
            return generated
        vote = sum(generated.encode())
        return real[vote // 2 % len(real)] if vote % 2 == 0 else generated

    def swap(self, value: Any) -> Any:
        """`value` (a body) with known id fields swapped, recursively."""
        if isinstance(value, dict):
            return {key: self.swap(self.pick(key, item)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.swap(item) for item in value]
        return value

    def apply(self, case: schemathesis.Case) -> dict[str, str]:
        """Swap ids in `case` in place; return the Authorization header it should carry."""
        for container in (case.path_parameters, case.query, case.headers):
            for name in list(container or {}):
                container[name] = self.pick(name.lower(), container[name])
        if case.body is not None and not isinstance(case.body, NotSet):
            case.body = self.swap(case.body)
        return self.admin_headers if case.path.startswith(f"{V1}/admin") else self.headers


@pytest.fixture(scope="module")
def fuzz_settings(owner_url: str, server_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test database, with rate limits far above what a fuzzing run sends."""
    return Settings(
        _env_file=None,
        DATABASE_URL=owner_url,
        REDIS_URL=server_urls[1],
        SECRET_KEY=TEST_SECRET,
        DATA_DIR=tmp_path_factory.mktemp("fuzz"),
        RATE_LIMIT_PER_IP_PER_MINUTE=1_000_000,
        RATE_LIMIT_PER_CLIENT_PER_MINUTE=1_000_000,
    )


def seeded_shop(app: FastAPI, app_engine: Engine, settings: Settings) -> RealData:
    """A committed shop with two products (one with two sizes), a customer with an address, a pending
    order, a delivered order with a return and an open return request, and the platform superadmin."""
    shop = committed_shop(app_engine, settings)
    with transaction(make_session_factory(app_engine)) as session:
        admin = auth_service.ensure_platform_admin(session, "root", "root-password")
    with TestClient(app) as client:
        tee = add_product(client, shop, "Linen Tee", {"TEE-LIN-M": "25.00", "TEE-LIN-L": "25.00"}, stock=500)
        mug = add_product(client, shop, "Stoneware Mug", {"MUG-STN": "12.50"}, stock=500, category="kitchen")
        variants = [v["id"] for v in tee["variants"] + mug["variants"]]
        pending = place_order(client, shop, [(variants[0], 1), (variants[2], 2)])
        delivered = delivered_order(client, shop, [(variants[0], 3), (variants[1], 2)])
        line_ids = [line["id"] for line in delivered["lines"]]
        returned = return_items(client, shop, delivered, [{"order_line_id": line_ids[0], "quantity": 1}])
        request = client.post(
            f"{V1}/return-requests",
            json={"order_id": delivered["id"], "items": [{"order_line_id": line_ids[1], "quantity": 1}]},
            headers=shop.owner,
        ).json()
        customer = client.post(
            f"{V1}/customers", json={"name": "Ada", "addresses": [{"line1": "5 Admiralty Way"}]}, headers=shop.owner
        ).json()
    ids = {
        "product_id": [tee["id"], mug["id"]],
        "variant_id": variants,
        "replacement_variant_id": variants[:2],
        "order_id": [delivered["id"], pending["id"]],
        "order_line_id": line_ids,
        "return_id": [returned["id"]],
        "client_id": [shop.client_id],
        "customer_id": [customer["id"]],
        "address_id": [customer["addresses"][0]["id"]],
        "delivery_address_id": [customer["addresses"][0]["id"]],
        "user_id": [str(shop.staff_id)],
        "request_id": [request["id"]],
        "x-2fa-code": ["123456"],  # the development static code, so edits and cancels get through
    }
    return RealData(ids, shop.owner, bearer(settings, Principal(admin.id, "root", None, None)))


@pytest.fixture(scope="module")
def api_app(fuzz_settings: Settings) -> Iterator[FastAPI]:
    yield create_app(fuzz_settings)
    shutdown_lifespans()  # schemathesis keeps each app's lifespan running until told otherwise


@pytest.fixture(scope="module")
def real_data(api_app: FastAPI, app_engine: Engine, fuzz_settings: Settings) -> RealData:
    return seeded_shop(api_app, app_engine, fuzz_settings)


def served_schema() -> dict[str, Any]:
    """The OpenAPI document the app serves at /openapi.json (it depends on no setting or connection).

    Loaded at import because pytest collects one test per operation; requests go in process to the
    app of the `api_app` fixture (`from_fixture` does not run under pytest 9: it sets the removed
    `Node._nodeid`).
    """
    offline = Settings(_env_file=None, SECRET_KEY=TEST_SECRET, DATABASE_URL="postgresql://-/-", REDIS_URL="redis://-")
    return create_app(offline).openapi()


schema = schemathesis.openapi.from_dict(served_schema())
schema.config.generation.update(max_examples=25, deterministic=True, database="none")


@schema.parametrize()
@settings(deadline=None)
def test_the_api_keeps_to_its_schema(case: schemathesis.Case, api_app: FastAPI, real_data: RealData) -> None:
    headers = real_data.apply(case)
    case.call_and_validate(
        app=api_app,
        headers=headers,
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
            no_secrets_in_the_body,
        ],
    )


def test_the_fuzzed_schema_is_the_served_one_and_documents_problems(fuzz_settings: Settings) -> None:
    """The document under test is what the app serves; errors are problem+json, as documented."""
    served = TestClient(create_app(fuzz_settings)).get("/openapi.json").json()  # needs no lifespan
    assert served == schema.raw_schema
    operation = served["paths"][f"{V1}/orders/{{order_id}}"]["get"]
    for status in ("401", "403", "404", "422", "429"):
        assert list(operation["responses"][status]["content"]) == ["application/problem+json"], status
