"""Platform administration: onboarding a business with its owner, and listings and KPIs across clients.

These functions read across tenants, so they need a session its opener has scoped as the platform
admin (`infra.db.set_tenant(session, None, platform_admin=True)`; the API's SuperAdmin dependency
does it). In any other scope row-level security hides the tenant rows and the figures come out empty.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from domain import audit, auth, reports, tenancy
from domain.context import Context
from domain.errors import NotFound, ValidationFailed
from domain.models import Account, Channel, Client, JournalHour, Order, OrderStatus, Product, Role, User, Variant
from domain.money import ZERO

CLIENT_CHECKS = {
    "ck_clients_id_slug": "a client id is 3 to 40 of a-z, 0-9, '_' and '-', starting with a letter or digit",
    "ck_clients_auto_approve_within_cap": "the auto-approval threshold cannot exceed the discount cap",
}
"""The clients table's check constraints, and what to tell the caller who trips one."""

NET_SALES_ACCOUNTS = (Account.REVENUE, Account.SALES_DISCOUNTS, Account.REFUNDS)
"""net sales = revenue − discounts − refunds = Σ(credit − debit) over these accounts (as in the P&L)."""


@dataclass(frozen=True)
class ClientKpis:
    """One client's all-time figures: live (not cancelled) orders, net sales from the journal, stock at cost."""

    client_id: str
    name: str
    currency: str
    order_count: int
    net_sales: Decimal
    inventory_value: Decimal
    units_on_hand: int


@dataclass(frozen=True)
class CurrencyTotals:
    """The KPIs summed over the clients that trade in one currency (amounts in different currencies never mix)."""

    currency: str
    client_count: int
    order_count: int
    net_sales: Decimal
    inventory_value: Decimal
    units_on_hand: int


@dataclass(frozen=True)
class PlatformOverview:
    """Totals per currency over every matching client, and one page of per-client rows (by client id)."""

    client_count: int
    totals: list[CurrencyTotals]
    clients: list[ClientKpis]


def onboard_client(
    session: Session, client_id: str, name: str, owner_username: str, owner_password: str, **fields: object
) -> tuple[Client, User]:
    """Register a business with its policy/profile `fields` and its first owner, together or not at all.

    Leaves the session scoped to the new client (the owner is created inside its tenant).
    """
    try:
        with session.begin_nested():
            client = tenancy.create_client(session, client_id, name, **fields)
            owner = auth.add_user(session, client.id, owner_username, owner_password, Role.OWNER)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint not in CLIENT_CHECKS:
            raise
        raise ValidationFailed(CLIENT_CHECKS[constraint]) from None
    return client, owner


def list_clients(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[Client], int]:
    """Every client by id, and how many there are."""
    total = session.scalar(select(func.count(Client.id))) or 0
    clients = session.scalars(select(Client).order_by(Client.id).limit(limit).offset(offset))
    return list(clients), total


def _for_client(session: Session, query: Select, column: object, client_id: str | None) -> Select:
    """`query` narrowed to one client, which must exist (404 otherwise); all clients when None."""
    if client_id is None:
        return query
    tenancy.get_client(session, client_id)
    return query.where(column == client_id)


def _page(session: Session, query: Select, *order_by: object, limit: int, offset: int) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset))), total


def unlock_user(session: Session, lockout: auth.LoginLockout, user_id: uuid.UUID, admin_name: str) -> User:
    """The platform superadmin clears any user's login lockout (an owner's, typically); audited in
    the user's business."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    lockout.unlock(user.client_id, user.username)
    ctx = Context(user.client_id, Role.OWNER, Channel.REST, actor_name=f"superadmin:{admin_name}")
    audit.record(session, ctx, audit.Action.USER_UNLOCKED, target=("user", user.id), detail={"username": user.username})
    return user


def list_users(
    session: Session, *, client_id: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
    """Users of every client (or of one, which must exist) by client and username, and how many there are."""
    query = _for_client(session, select(User), User.client_id, client_id)
    return _page(session, query, User.client_id, User.username, limit=limit, offset=offset)


def list_products(
    session: Session, *, client_id: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Product], int]:
    """Products (retired too) of every client or of one, with variants and costs, by client and name."""
    query = _for_client(session, select(Product).options(selectinload(Product.variants)), Product.client_id, client_id)
    return _page(session, query, Product.client_id, Product.name, Product.id, limit=limit, offset=offset)


def list_orders(
    session: Session, *, client_id: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Order], int]:
    """Orders of every client or of one, with lines, newest first."""
    query = _for_client(session, select(Order).options(selectinload(Order.lines)), Order.client_id, client_id)
    return _page(
        session, query, Order.created_at.desc(), Order.client_id, Order.number.desc(), limit=limit, offset=offset
    )


def admin_overview(
    session: Session, *, client_id: str | None = None, limit: int = 50, offset: int = 0
) -> PlatformOverview:
    """Per-client orders, net sales and inventory value, aggregated by PostgreSQL, with totals per
    currency; `client_id` (which must exist) narrows it to one client."""
    if client_id is not None:
        tenancy.get_client(session, client_id)
    per_client = _per_client(client_id).subquery("per_client")
    totals = [
        CurrencyTotals(
            row.currency,
            row.client_count,
            int(row.order_count),
            Decimal(row.net_sales),
            Decimal(row.inventory_value),
            int(row.units_on_hand),
        )
        for row in session.execute(
            select(
                per_client.c.currency,
                func.count().label("client_count"),
                func.sum(per_client.c.order_count).label("order_count"),
                func.sum(per_client.c.net_sales).label("net_sales"),
                func.sum(per_client.c.inventory_value).label("inventory_value"),
                func.sum(per_client.c.units_on_hand).label("units_on_hand"),
            )
            .group_by(per_client.c.currency)
            .order_by(per_client.c.currency)
        )
    ]
    page = session.execute(select(per_client).order_by(per_client.c.client_id).limit(limit).offset(offset))
    clients = [
        ClientKpis(
            row.client_id,
            row.name,
            row.currency,
            row.order_count,
            Decimal(row.net_sales),
            Decimal(row.inventory_value),
            row.units_on_hand,
        )
        for row in page
    ]
    return PlatformOverview(sum(t.client_count for t in totals), totals, clients)


def _per_client(client_id: str | None) -> Select:
    """One row per client: its figures from three per-tenant aggregates (orders, journal, stock)."""
    orders = (
        select(Order.client_id, func.count().label("order_count"))
        .where(Order.status != OrderStatus.CANCELLED)
        .group_by(Order.client_id)
        .subquery("orders")
    )
    sales = (  # the hourly rollup holds the journal's exact sums in a fraction of its rows
        select(JournalHour.client_id, func.sum(JournalHour.credit - JournalHour.debit).label("net_sales"))
        .where(JournalHour.account.in_(NET_SALES_ACCOUNTS))
        .group_by(JournalHour.client_id)
        .subquery("sales")
    )
    stock = (
        select(
            Variant.client_id,
            func.sum(Variant.on_hand).label("units"),
            func.sum(reports.VARIANT_VALUE).label("value"),
        )
        .group_by(Variant.client_id)
        .subquery("stock")
    )
    query = (
        select(
            Client.id.label("client_id"),
            Client.name,
            Client.currency,
            func.coalesce(orders.c.order_count, 0).label("order_count"),
            func.coalesce(sales.c.net_sales, ZERO).label("net_sales"),
            func.coalesce(stock.c.value, ZERO).label("inventory_value"),
            func.coalesce(stock.c.units, 0).label("units_on_hand"),
        )
        .outerjoin(orders, orders.c.client_id == Client.id)
        .outerjoin(sales, sales.c.client_id == Client.id)
        .outerjoin(stock, stock.c.client_id == Client.id)
    )
    return query if client_id is None else query.where(Client.id == client_id)
