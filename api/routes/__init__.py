"""REST routers, served under /api/v1."""

from __future__ import annotations

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
from api.routing import ApiRouter
from api.whatsapp import routes as whatsapp

API_PREFIX = "/api/v1"

feature_routers: tuple[ApiRouter, ...] = tuple(
    feature.router
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
    )
)
"""Each feature's router, included by the app under API_PREFIX one by one (`ApiRouter.include_in`):
FastAPI matches a request level by level, so a router of routers matched it twice over."""
