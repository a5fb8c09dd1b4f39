"""REST routers, served under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import auth, inventory, orders, products

api_router = APIRouter(prefix="/api/v1")
for feature in (auth, products, inventory, orders):
    api_router.include_router(feature.router)
