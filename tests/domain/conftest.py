"""Fixtures shared by the domain tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from domain import inventory
from domain.context import Context
from domain.models import Product, Variant
from infra.db import make_session_factory, transaction
from tests.conftest import make_tenant


@pytest.fixture
def committed_shop(app_engine: Engine) -> tuple[Context, uuid.UUID]:
    """A tenant with one SKU holding 50 units, committed so other connections see it."""
    factory = make_session_factory(app_engine)
    client_id = f"race_{uuid.uuid4().hex[:8]}"
    with transaction(factory) as session:
        ctx = make_tenant(session, client_id)
        product = Product(client_id=client_id, name="Limited Sneaker")
        product.variants = [Variant(client_id=client_id, sku="SNEAKER-LTD-42", price=Decimal("120.00"))]
        session.add(product)
        session.flush()
        inventory.receive_stock(session, ctx, product.variants[0].id, 50, Decimal("55.00"))
        return ctx, product.variants[0].id
