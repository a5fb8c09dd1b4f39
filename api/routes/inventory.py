"""/inventory: receive and adjust stock, read the movement ledger."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import CurrentContext
from api.deps import SessionDep
from api.schemas.common import Moment, Page, PageQuery
from api.schemas.inventory import MovementOwnerRead, MovementRead, StockChange
from domain import inventory
from domain.context import Context
from domain.models import MovementKind, Role, StockMovement

router = APIRouter(prefix="/inventory", tags=["inventory"])

MovementView = MovementOwnerRead | MovementRead


def present(movement: StockMovement, ctx: Context) -> MovementView:
    """Owners see costs; staff do not."""
    schema = MovementOwnerRead if ctx.role is Role.OWNER else MovementRead
    return schema.model_validate(movement)


@router.post("/adjustments", status_code=201)
def record_stock_change(body: StockChange, ctx: CurrentContext, session: SessionDep) -> MovementView:
    """Receive stock at a unit cost (updates the weighted average) or adjust a count with a reason."""
    if body.type == "receipt":
        assert body.unit_cost is not None
        movement = inventory.receive_stock(
            session, ctx, body.variant_id, body.quantity, body.unit_cost, reason=body.reason
        )
    else:
        movement = inventory.adjust_stock(session, ctx, body.variant_id, body.quantity, body.reason)
    return present(movement, ctx)


@router.get("/movements")
def list_movements(
    ctx: CurrentContext,
    session: SessionDep,
    page: PageQuery,
    variant_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    kind: Annotated[MovementKind | None, Query(alias="type")] = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> Page[MovementView]:
    """The append-only stock ledger, newest first."""
    filters = inventory.MovementFilter(variant_id, product_id, kind, since, until)
    items, total = inventory.list_movements(session, ctx, filters, limit=page.limit, offset=page.offset)
    return Page(items=[present(m, ctx) for m in items], total=total, limit=page.limit, offset=page.offset)
