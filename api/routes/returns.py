"""/returns: take back delivered goods (refund or exchange), list and read returns."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from api.auth import CurrentCaller
from api.routing import ApiRouter
from api.schemas.common import Page, PageQuery
from api.schemas.returns import ReturnCreate, ReturnRead
from domain import returns as return_service

router = ApiRouter(prefix="/returns", tags=["returns"])


@router.post("", status_code=201)
def create_return(body: ReturnCreate, caller: CurrentCaller) -> ReturnRead:
    """Refund or exchange units of a delivered order: restocked when resellable, written off when damaged.

    Returning more than was sold, or mixing refunds and exchanges in one request, is 422; an order
    that is not delivered is 409; a closed return window is 422. `refund_method` says how the refund is
    paid (`original`, `cash`, `store_credit`); a method an order cannot take is 422.
    """
    with caller.transaction() as (session, ctx):
        record = return_service.create_return(
            session,
            ctx,
            body.order_id,
            [item.to_domain() for item in body.items],
            reason=body.reason,
            refund_method=body.refund_method,
        )
        return ReturnRead.model_validate(record)


@router.get("")
def list_returns(
    caller: CurrentCaller,
    page: PageQuery,
    order_id: Annotated[uuid.UUID | None, Query(description="Only returns against this order")] = None,
) -> Page[ReturnRead]:
    """Returns and exchanges, newest first."""
    with caller.transaction() as (session, ctx):
        items, total = return_service.list_returns(
            session, ctx, order_id=order_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[ReturnRead.model_validate(r) for r in items], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/{return_id}")
def get_return(return_id: uuid.UUID, caller: CurrentCaller) -> ReturnRead:
    """One return with its lines."""
    with caller.transaction() as (session, ctx):
        return ReturnRead.model_validate(return_service.get_return(session, ctx, return_id))
