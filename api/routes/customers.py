"""/customers: staff and owners keep their customers: contacts, addresses, history, erasure on request."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api.auth import CurrentCaller, OwnerCaller
from api.routes.orders import OrderView, present
from api.routing import ApiRouter
from api.schemas.common import Page, PageQuery, Text
from api.schemas.customers import (
    AddressCreate,
    AddressRead,
    AddressUpdate,
    CustomerCreate,
    CustomerFiguresOwnerRead,
    CustomerFiguresRead,
    CustomerRead,
    CustomerUpdate,
    StoreCreditAdjust,
    StoreCreditMovementRead,
    StoreCreditRead,
)
from api.schemas.returns import ReturnRead
from domain import customers as customer_service
from domain import orders as order_service
from domain import store_credit
from domain.models import Role

router = ApiRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=201)
def create_customer(body: CustomerCreate, caller: CurrentCaller) -> CustomerRead:
    """Add a customer; a local phone number is completed with the business's country calling code.

    409 if a customer with that phone or WhatsApp id exists (`customer_id` names them).
    """
    with caller.transaction() as (session, ctx):
        return CustomerRead.model_validate(customer_service.create_customer(session, ctx, body.to_domain()))


@router.get("")
def list_customers(
    caller: CurrentCaller,
    page: PageQuery,
    q: Annotated[Text | None, Query(max_length=200, description="name, e-mail, phone (any form) or wa_id")] = None,
    tag: Annotated[Text | None, Query(max_length=40)] = None,
    marketing_opt_out: Annotated[bool | None, Query()] = None,
    include_deleted: Annotated[bool, Query()] = False,
) -> Page[CustomerRead]:
    """Customers by name; `q` finds "0803 123 4567" and the WhatsApp id 2348031234567 alike."""
    with caller.transaction() as (session, ctx):
        filters = customer_service.CustomerFilter(
            q=q, tag=tag, marketing_opt_out=marketing_opt_out, include_deleted=include_deleted
        )
        items, total = customer_service.list_customers(session, ctx, filters, limit=page.limit, offset=page.offset)
        return Page(
            items=[CustomerRead.model_validate(c) for c in items], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/{customer_id}")
def get_customer(customer_id: uuid.UUID, caller: CurrentCaller) -> CustomerRead:
    """One customer with their addresses (deleted ones too, marked by `deleted_at`)."""
    with caller.transaction() as (session, ctx):
        customer = customer_service.get_customer(session, ctx, customer_id, include_deleted=True)
        return CustomerRead.model_validate(customer)


@router.patch("/{customer_id}")
def update_customer(customer_id: uuid.UUID, body: CustomerUpdate, caller: CurrentCaller) -> CustomerRead:
    """Change contact details, notes, tags or the marketing opt-out."""
    with caller.transaction() as (session, ctx):
        return CustomerRead.model_validate(customer_service.update_customer(session, ctx, customer_id, body.changes()))


@router.delete("/{customer_id}")
def delete_customer(customer_id: uuid.UUID, caller: CurrentCaller) -> CustomerRead:
    """Soft delete: gone from lists and new orders; past orders and figures stay."""
    with caller.transaction() as (session, ctx):
        return CustomerRead.model_validate(customer_service.delete_customer(session, ctx, customer_id))


@router.post("/{customer_id}/erase")
def erase_customer(customer_id: uuid.UUID, caller: OwnerCaller) -> CustomerRead:
    """Erase the customer's personal data on their request (owners; irreversible; audited).

    Orders, returns and the books stay, with an anonymous customer.
    """
    with caller.transaction() as (session, ctx):
        return CustomerRead.model_validate(customer_service.erase_customer(session, ctx, customer_id))


@router.post("/{customer_id}/addresses", status_code=201)
def add_address(customer_id: uuid.UUID, body: AddressCreate, caller: CurrentCaller) -> AddressRead:
    """Add a delivery address (the first one becomes the default)."""
    with caller.transaction() as (session, ctx):
        return AddressRead.model_validate(customer_service.add_address(session, ctx, customer_id, body.to_domain()))


@router.patch("/{customer_id}/addresses/{address_id}")
def update_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, body: AddressUpdate, caller: CurrentCaller
) -> AddressRead:
    """Edit an address or make it the default."""
    with caller.transaction() as (session, ctx):
        address = customer_service.update_address(session, ctx, customer_id, address_id, body.changes())
        return AddressRead.model_validate(address)


@router.delete("/{customer_id}/addresses/{address_id}", status_code=204)
def remove_address(customer_id: uuid.UUID, address_id: uuid.UUID, caller: CurrentCaller) -> Response:
    """Remove an address (orders keep the text they were placed with)."""
    with caller.transaction() as (session, ctx):
        customer_service.remove_address(session, ctx, customer_id, address_id)
        return Response(status_code=204)


@router.get("/{customer_id}/orders")
def customer_orders(customer_id: uuid.UUID, caller: CurrentCaller, page: PageQuery) -> Page[OrderView]:
    """The customer's orders, newest first."""
    with caller.transaction() as (session, ctx):
        customer_service.get_customer(session, ctx, customer_id, include_deleted=True)
        items, total = order_service.list_orders(
            session, ctx, order_service.OrderFilter(customer_id=customer_id), limit=page.limit, offset=page.offset
        )
        return Page(items=[present(o, ctx) for o in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{customer_id}/returns")
def customer_returns(customer_id: uuid.UUID, caller: CurrentCaller, page: PageQuery) -> Page[ReturnRead]:
    """Returns and exchanges against the customer's orders, newest first."""
    with caller.transaction() as (session, ctx):
        items, total = customer_service.customer_returns(
            session, ctx, customer_id, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[ReturnRead.model_validate(r) for r in items], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/{customer_id}/figures")
def customer_figures(customer_id: uuid.UUID, caller: CurrentCaller) -> CustomerFiguresOwnerRead | CustomerFiguresRead:
    """Lifetime orders, revenue, refunds and returns; owners also see gross profit."""
    with caller.transaction() as (session, ctx):
        figures = customer_service.lifetime_figures(session, ctx, customer_id)
        schema = CustomerFiguresOwnerRead if ctx.role is Role.OWNER else CustomerFiguresRead
        return schema.model_validate(figures)


@router.get("/{customer_id}/store-credit")
def get_store_credit(customer_id: uuid.UUID, caller: CurrentCaller, page: PageQuery) -> StoreCreditRead:
    """The customer's store credit balance and its movements (grants, order payments, refunds), newest first."""
    with caller.transaction() as (session, ctx):
        found = store_credit.statement(session, ctx, customer_id, limit=page.limit, offset=page.offset)
        return StoreCreditRead(
            customer_id=found.customer_id,
            balance=found.balance,
            items=[StoreCreditMovementRead.model_validate(m) for m in found.movements],
            total=found.total,
            limit=page.limit,
            offset=page.offset,
        )


@router.post("/{customer_id}/store-credit", status_code=201)
def adjust_store_credit(
    customer_id: uuid.UUID, body: StoreCreditAdjust, caller: OwnerCaller
) -> StoreCreditMovementRead:
    """Grant (positive) or deduct (negative) store credit with a reason (owners; journalled, audited).

    A deduction larger than the balance is 422 and changes nothing.
    """
    with caller.transaction() as (session, ctx):
        movement = store_credit.adjust(session, ctx, customer_id, body.amount, body.reason)
        return StoreCreditMovementRead.model_validate(movement)
