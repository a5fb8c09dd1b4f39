"""Console fixtures: the console over a real runtime (test database, Redis, offline model) and
committed shops, since the console opens its own transactions like any channel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from chat_ui.console import Console
from domain import images, inventory
from domain.context import Context
from domain.models import Channel, Product, Role, Variant
from domain.pictures import encode, product_picture
from graph.runtime import open_runtime
from infra.db import make_session_factory, transaction
from infra.settings import Settings
from tests.api.conftest import Shop, committed_shop, other_shop, root, settings  # noqa: F401 - fixtures
from tests.api.test_whatsapp_worker import graph_api, number  # noqa: F401 - fixtures

AddProduct = Callable[..., Variant]


@pytest.fixture
def console(settings: Settings) -> Iterator[Console]:  # noqa: F811
    """The console's operations over a runtime opened like `python -m chat_ui` does."""
    with open_runtime(settings) as runtime:
        yield Console(runtime)


@pytest.fixture
def shop(app_engine: Engine, settings: Settings) -> Shop:  # noqa: F811
    """A committed shop with `owner` / owner-password and `clerk` / clerk-password (auto-approval 10 %, cap 20 %)."""
    return committed_shop(app_engine, settings)


def owner_of(shop: Shop) -> Context:
    return Context(shop.client_id, Role.OWNER, Channel.SYSTEM, shop.owner_id, actor_name="owner")


@pytest.fixture
def add_product(app_engine: Engine, settings: Settings, console: Console) -> AddProduct:  # noqa: F811
    """add_product(shop, "HOODIE-GRY", "Grey Hoodie", price="40.00", stock=5, cost="17.00", picture=None),
    committed; `picture` is the index of a generated catalog picture to attach."""

    def add(
        shop: Shop,
        sku: str,
        name: str,
        *,
        price: str = "40.00",
        stock: int = 0,
        cost: str = "17.00",
        picture: int | None = None,
    ) -> Variant:
        owner = owner_of(shop)
        with transaction(make_session_factory(app_engine), shop.client_id) as session:
            product = Product(client_id=shop.client_id, name=name, category="general")
            variant = Variant(client_id=shop.client_id, sku=sku, price=Decimal(price), reorder_point=3)
            product.variants = [variant]
            session.add(product)
            session.flush()
            if stock:
                inventory.receive_stock(session, owner, variant.id, stock, Decimal(cost))
            if picture is not None:
                runtime = console.runtime
                data = encode(product_picture(picture, size=200))
                images.add_image(session, owner, runtime.object_storage, runtime.image_embedder, product.id, data)
        return variant

    return add
