"""/return-requests: open → goods received → refund paid (or rejected); the counter's one-step
return stays at /returns."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from api.auth import CurrentCaller
from api.routing import ApiRouter
from api.schemas.common import Page, PageQuery
from api.schemas.returns import ReturnRequestCreate, ReturnRequestRead, ReturnRequestReceive, ReturnRequestReject
from domain import return_requests as request_service
from domain.models import ReturnRequestStatus

router = ApiRouter(prefix="/return-requests", tags=["returns"])


@router.post("", status_code=201)
def open_request(body: ReturnRequestCreate, caller: CurrentCaller) -> ReturnRequestRead:
    """Open a request for units of a delivered order within the return window; nothing moves yet."""
    with caller.transaction() as (session, ctx):
        request = request_service.open_request(
            session, ctx, body.order_id, [item.to_domain() for item in body.items], reason=body.reason
        )
        return ReturnRequestRead.model_validate(request)


@router.get("")
def list_requests(
    caller: CurrentCaller,
    page: PageQuery,
    status: Annotated[ReturnRequestStatus | None, Query()] = None,
    order_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ReturnRequestRead]:
    """Requests, newest first (`?status=open` is the counter's to-do list)."""
    with caller.transaction() as (session, ctx):
        items, total = request_service.list_requests(
            session, ctx, status=status, order_id=order_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[ReturnRequestRead.model_validate(r) for r in items],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


@router.get("/{request_id}")
def get_request(request_id: uuid.UUID, caller: CurrentCaller) -> ReturnRequestRead:
    """One request."""
    with caller.transaction() as (session, ctx):
        return ReturnRequestRead.model_validate(request_service.get_request(session, ctx, request_id))


@router.post("/{request_id}/receive")
def receive_request(request_id: uuid.UUID, body: ReturnRequestReceive, caller: CurrentCaller) -> ReturnRequestRead:
    """The goods are back: restocked (damaged ones written off); the refund is now owed, or settled
    at once for an unpaid order. The part `refund_method` gives as store credit is credited now."""
    with caller.transaction() as (session, ctx):
        request = request_service.receive_request(
            session, ctx, request_id, body.damaged_by_line(), refund_method=body.refund_method
        )
        return ReturnRequestRead.model_validate(request)


@router.post("/{request_id}/refund")
def pay_refund(request_id: uuid.UUID, caller: CurrentCaller) -> ReturnRequestRead:
    """Record that the owed refund was paid back the way the order was paid."""
    with caller.transaction() as (session, ctx):
        return ReturnRequestRead.model_validate(request_service.pay_refund(session, ctx, request_id))


@router.post("/{request_id}/reject")
def reject_request(request_id: uuid.UUID, body: ReturnRequestReject, caller: CurrentCaller) -> ReturnRequestRead:
    """Refuse an open request, saying why."""
    with caller.transaction() as (session, ctx):
        return ReturnRequestRead.model_validate(request_service.reject_request(session, ctx, request_id, body.note))
