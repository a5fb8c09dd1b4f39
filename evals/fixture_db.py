"""Build a scenario's fixture in its database through the domain services, each record at its own
moment on the scenario's clock, and remember the ids the runner and the checks need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain import auth, catalog, inventory, orders, tenancy
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.models import Channel, OrderNumber, PaymentStatus, Role
from domain.models.base import clock_at
from domain.orders import LineRequest, OrderDraft
from evals.scenario import Fixture, OrderFixture, ScenarioError, ShopFixture, resolve_moment
from infra.db import transaction

FIXTURE_PASSWORD = "eval-fixture-password"  # noqa: S105 - users of a throwaway eval database


@dataclass
class ShopHandles:
    """The ids of one fixture shop."""

    client_id: str
    owner_name: str
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    customers: dict[str, uuid.UUID] = field(default_factory=dict)
    variants: dict[str, uuid.UUID] = field(default_factory=dict)

    def owner(self, channel: Channel = Channel.SYSTEM) -> Context:
        """The owner's context (the first owner user)."""
        return Context(self.client_id, Role.OWNER, channel, self.users[self.owner_name], actor_name=self.owner_name)


def build_fixture(sessions: sessionmaker[Session], fixture: Fixture, clock: datetime) -> list[ShopHandles]:
    """Create every shop of `fixture` (committed); handles in the fixture's order."""
    return [_build_shop(sessions, shop, clock) for shop in fixture.shops]


def _build_shop(sessions: sessionmaker[Session], shop: ShopFixture, clock: datetime) -> ShopHandles:
    handles = ShopHandles(shop.id, next(u.name for u in shop.users if u.role == "owner"))
    with clock_at(clock), transaction(sessions, shop.id) as session:
        tenancy.create_client(
            session,
            shop.id,
            shop.name,
            timezone=shop.timezone,
            currency=shop.currency,
            max_discount_pct=shop.max_discount_pct,
            auto_approve_discount_pct=shop.auto_approve_discount_pct,
            return_window_days=shop.return_window_days,
            sales_commission_pct=shop.sales_commission_pct,
            daily_adjustment_approval_units=shop.daily_adjustment_approval_units,
            business_overview=shop.business_overview,
            return_refund_policy=shop.return_refund_policy,
        )
        session.get_one(OrderNumber, shop.id).next_number = shop.first_order_number
        roles = {"owner": Role.OWNER, "staff": Role.STAFF}
        for user in shop.users:
            handles.users[user.name] = auth.add_user(session, shop.id, user.name, FIXTURE_PASSWORD, roles[user.role]).id
        owner = handles.owner()
        for customer in shop.customers:
            made = tenancy.get_or_create_customer(
                session, owner, wa_id=customer.wa_id, name=customer.full_name or customer.name.title()
            )
            handles.customers[customer.name] = made.id
        for product in shop.products:
            specs = [
                VariantSpec(sku=v.sku, price=v.price, options=v.options, reorder_point=v.reorder_point)
                for v in product.variants
            ]
            made = catalog.create_product(
                session,
                owner,
                ProductSpec(
                    name=product.name, description=product.description, category=product.category, variants=specs
                ),
            )
            for variant in made.variants:
                handles.variants[variant.sku] = variant.id
    for product in shop.products:
        for variant in product.variants:
            for batch in variant.stock:
                at = resolve_moment(batch.at, clock)
                with clock_at(at), transaction(sessions, shop.id) as session:
                    inventory.receive_stock(
                        session, owner, handles.variants[variant.sku], batch.qty, batch.cost, received_at=at
                    )
    for spec in shop.orders:
        _place(sessions, handles, spec, clock)
    return handles


def _place(sessions: sessionmaker[Session], handles: ShopHandles, spec: OrderFixture, clock: datetime) -> None:
    """One past order, moved along to its status the way the shop would have."""
    at = resolve_moment(spec.at, clock)
    owner = handles.owner()
    ctx = Context(handles.client_id, Role.OWNER, Channel.SYSTEM, handles.users[spec.by], actor_name=spec.by)
    draft = OrderDraft(
        lines=[LineRequest(handles.variants[sku], qty) for sku, qty in spec.lines.items()],
        discount_pct=Decimal(spec.discount_pct),
        customer_id=handles.customers[spec.customer] if spec.customer else None,
        payment_status=PaymentStatus.PAID if spec.paid else PaymentStatus.UNPAID,
        delivery_address=spec.address,
        created_at=at,
    )
    with clock_at(at), transaction(sessions, handles.client_id) as session:
        order = orders.create_order(session, ctx, draft)
        if spec.number is not None and order.number != spec.number:
            raise ScenarioError(
                f"shop {handles.client_id}: an order declared as #{spec.number} was numbered #{order.number}"
            )
        if spec.status == "cancelled":
            orders.cancel_order(session, owner.with_second_factor(), order.id, "fixture")
            return
        if spec.status == "pending":
            return
        orders.confirm_order(session, owner, order.id)
        if spec.status == "delivered":
            delivered = resolve_moment(spec.delivered, clock) if spec.delivered else at
            orders.deliver_order(session, owner, order.id, at=delivered)
