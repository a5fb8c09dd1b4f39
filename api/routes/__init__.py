"""REST routers, served under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    accounting,
    admin,
    approvals,
    audit,
    auth,
    business,
    chat,
    customers,
    inventory,
    orders,
    products,
    reports,
    return_requests,
    returns,
    users,
)
from api.whatsapp import routes as whatsapp

api_router = APIRouter(prefix="/api/v1")
for feature in (
    auth,
    users,
    business,
    customers,
    products,
    inventory,
    orders,
    returns,
    return_requests,
    approvals,
    accounting,
    reports,
    audit,
    admin,
    chat,
    whatsapp,
):
    api_router.include_router(feature.router)
