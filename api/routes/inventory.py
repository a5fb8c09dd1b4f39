"""/inventory: receive and adjust stock, read the movement ledger."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api.auth import CurrentCaller
from api.routes.approvals import ACCEPTED, accepted
from api.routing import ApiRouter
from api.schemas.approvals import ApprovalRead
from api.schemas.common import IdempotencyKey, Moment, Page, PageQuery
from api.schemas.inventory import MovementOwnerRead, MovementRead, StockChange
from domain import approvals, inventory
from domain.context import Context
from domain.models import Approval, MovementKind, Role, StockMovement

router = ApiRouter(prefix="/inventory", tags=["inventory"])

MovementView = MovementOwnerRead | MovementRead


def present(movement: StockMovement, ctx: Context) -> MovementView:
    """Owners see costs; staff do not."""
    schema = MovementOwnerRead if ctx.role is Role.OWNER else MovementRead
    return schema.model_validate(movement)


@router.post("/adjustments", status_code=201, responses=ACCEPTED)
def record_stock_change(
    body: StockChange, caller: CurrentCaller, response: Response, idempotency_key: IdempotencyKey = None
) -> MovementView | ApprovalRead:
    """Receive stock at a unit cost (updates the weighted average) or adjust a count with a reason.

    Staff get 202 with an approval, made when the owner approves, for a receipt whose unit cost is
    outside the business's `receipt_cost_band_pct` around the average cost, and for an adjustment
    that takes the variant's adjustments today past `daily_adjustment_approval_units`.
    Retry-safe with `Idempotency-Key`.
    """
    with caller.transaction() as (session, ctx):
        if body.type == "receipt":
            assert body.unit_cost is not None
            request = approvals.receipt_request(
                body.variant_id, body.quantity, body.unit_cost, body.reason, request_key=idempotency_key
            )
        else:
            request = approvals.adjustment_request(
                body.variant_id, body.quantity, body.reason, request_key=idempotency_key
            )
        outcome = approvals.submit(session, ctx, request)
        return accepted(response, outcome) if isinstance(outcome, Approval) else present(outcome, ctx)


@router.get("/movements")
def list_movements(
    caller: CurrentCaller,
    page: PageQuery,
    variant_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    kind: Annotated[MovementKind | None, Query(alias="type")] = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> Page[MovementView]:
    """The append-only stock ledger, newest first."""
    with caller.transaction() as (session, ctx):
        filters = inventory.MovementFilter(variant_id, product_id, kind, since, until)
        items, total = inventory.list_movements(session, ctx, filters, limit=page.limit, offset=page.offset)
        return Page(items=[present(m, ctx) for m in items], total=total, limit=page.limit, offset=page.offset)
