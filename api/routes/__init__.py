"""REST routers, served under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import auth, chat, inventory, orders, products

api_router = APIRouter(prefix="/api/v1")
for feature in (auth, products, inventory, orders, chat):
    api_router.include_router(feature.router)
