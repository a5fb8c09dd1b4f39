"""REST routers, served under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    accounting,
    admin,
    approvals,
    audit,
    auth,
    chat,
    inventory,
    orders,
    products,
    reports,
    returns,
)

api_router = APIRouter(prefix="/api/v1")
for feature in (auth, products, inventory, orders, returns, approvals, accounting, reports, audit, admin, chat):
    api_router.include_router(feature.router)
