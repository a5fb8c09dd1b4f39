"""/admin: the platform superadmin onboards businesses and reads across them (tenant users get 403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from api.auth import SuperAdmin
from api.routing import ApiRouter
from api.schemas.admin import (
    CLIENT_ID_PATTERN,
    AdminOrderRead,
    AdminProductRead,
    ClientCreate,
    ClientCreated,
    ClientKpisRead,
    ClientRead,
    CurrencyTotalsRead,
    PlatformDashboardRead,
)
from api.schemas.auth import UserRead
from api.schemas.common import Page, PageQuery
from domain import admin as admin_service

router = ApiRouter(prefix="/admin", tags=["admin"])

ClientFilter = Annotated[
    str | None, Query(min_length=3, max_length=40, pattern=CLIENT_ID_PATTERN, description="Only this client")
]


@router.post("/clients", status_code=201)
def create_client(body: ClientCreate, admin: SuperAdmin) -> ClientCreated:
    """Register a business and its first owner in one step (409 if the id is taken)."""
    with admin.transaction() as session:
        client, owner = admin_service.onboard_client(
            session, body.id, body.name, body.owner.username, body.owner.password, **body.client_fields()
        )
        return ClientCreated(client=ClientRead.model_validate(client), owner=UserRead.model_validate(owner))


@router.get("/clients")
def list_clients(admin: SuperAdmin, page: PageQuery) -> Page[ClientRead]:
    """Every business on the platform, by id."""
    with admin.transaction() as session:
        clients, total = admin_service.list_clients(session, limit=page.limit, offset=page.offset)
        return Page(
            items=[ClientRead.model_validate(c) for c in clients], total=total, limit=page.limit, offset=page.offset
        )


@router.post("/users/{user_id}/unlock")
def unlock_user(user_id: uuid.UUID, admin: SuperAdmin) -> UserRead:
    """Clear a user's login lockout (an owner locked out of their business, typically); audited."""
    with admin.transaction() as session:
        user = admin_service.unlock_user(session, admin.runtime.lockout, user_id, admin.principal.username)
        return UserRead.model_validate(user)


@router.get("/users")
def list_users(admin: SuperAdmin, page: PageQuery, client_id: ClientFilter = None) -> Page[UserRead]:
    """Users of every business (or of one), by client and username; never their secrets."""
    with admin.transaction() as session:
        users, total = admin_service.list_users(session, client_id=client_id, limit=page.limit, offset=page.offset)
        return Page(
            items=[UserRead.model_validate(u) for u in users], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/products")
def list_products(admin: SuperAdmin, page: PageQuery, client_id: ClientFilter = None) -> Page[AdminProductRead]:
    """Products of every business (or of one) with variants and costs, retired ones too; read-only."""
    with admin.transaction() as session:
        items, total = admin_service.list_products(session, client_id=client_id, limit=page.limit, offset=page.offset)
        return Page(
            items=[AdminProductRead.model_validate(p) for p in items], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/orders")
def list_orders(admin: SuperAdmin, page: PageQuery, client_id: ClientFilter = None) -> Page[AdminOrderRead]:
    """Orders (sales) of every business (or of one), newest first, with costs; read-only."""
    with admin.transaction() as session:
        items, total = admin_service.list_orders(session, client_id=client_id, limit=page.limit, offset=page.offset)
        return Page(
            items=[AdminOrderRead.model_validate(o) for o in items], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/dashboard")
def platform_dashboard(admin: SuperAdmin, page: PageQuery, client_id: ClientFilter = None) -> PlatformDashboardRead:
    """Orders, net sales and inventory value per business, with totals per currency."""
    with admin.transaction() as session:
        overview = admin_service.admin_overview(session, client_id=client_id, limit=page.limit, offset=page.offset)
        return PlatformDashboardRead(
            totals=[CurrencyTotalsRead.model_validate(t) for t in overview.totals],
            clients=Page(
                items=[ClientKpisRead.model_validate(c) for c in overview.clients],
                total=overview.client_count,
                limit=page.limit,
                offset=page.offset,
            ),
        )
