"""Return and exchange schemas. Refunds are computed by the server, never sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Quantity, Text
from domain.models import Channel, ItemCondition, PaymentMethod, RefundMethod, ReturnKind, ReturnRequestStatus
from domain.return_requests import RequestedItem
from domain.returns import ReturnItem

REFUND_METHOD_HELP = (
    "original: the store credit the order used comes back as credit first, the rest the way the order was paid; "
    "cash: all in cash; store_credit: all as the customer's store credit (paid orders with a customer)"
)


class ReturnItemIn(BaseModel):
    """Units of one delivered order line coming back; a `replacement_variant_id` makes it an exchange."""

    model_config = ConfigDict(extra="forbid")

    order_line_id: uuid.UUID
    quantity: Quantity
    condition: ItemCondition = Field(default=ItemCondition.RESELLABLE, description="resellable goes back on the shelf")
    replacement_variant_id: uuid.UUID | None = Field(default=None, description="another variant of the same product")

    def to_domain(self) -> ReturnItem:
        return ReturnItem(self.order_line_id, self.quantity, self.condition, self.replacement_variant_id)


class ReturnCreate(BaseModel):
    """Goods coming back against a delivered order, within the business's return window."""

    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID
    items: list[ReturnItemIn] = Field(min_length=1, max_length=100)
    reason: Text = Field(default="", max_length=1000)
    refund_method: RefundMethod = Field(default=RefundMethod.ORIGINAL, description=REFUND_METHOD_HELP)


class ReturnLineRead(BaseModel):
    """One returned (or exchanged) order line."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_line_id: uuid.UUID
    quantity: int
    condition: ItemCondition
    refund_amount: Decimal
    replacement_variant_id: uuid.UUID | None
    price_difference: Decimal = Field(description="replacement price − refunded share; positive is charged")


class ReturnRead(BaseModel):
    """A return or exchange with what was refunded or charged."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    kind: ReturnKind
    reason: str
    refund_amount: Decimal
    charge_amount: Decimal
    refund_method: PaymentMethod
    store_credit_amount: Decimal = Field(description="the part of the refund given as store credit")
    channel: Channel
    created_at: datetime
    lines: list[ReturnLineRead]


class RequestedItemIn(BaseModel):
    """Units of one delivered order line the customer wants to send back."""

    model_config = ConfigDict(extra="forbid")

    order_line_id: uuid.UUID
    quantity: Quantity

    def to_domain(self) -> RequestedItem:
        return RequestedItem(self.order_line_id, self.quantity)


class ReturnRequestCreate(BaseModel):
    """Open a return request against a delivered order, within the return window; nothing moves yet."""

    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID
    items: list[RequestedItemIn] = Field(min_length=1, max_length=100)
    reason: Text = Field(default="", max_length=1000)


class DamagedItemIn(BaseModel):
    """Units of a requested line that came back damaged (written off instead of restocked)."""

    model_config = ConfigDict(extra="forbid")

    order_line_id: uuid.UUID
    quantity: Quantity


class ReturnRequestReceive(BaseModel):
    """The goods are back; name the damaged units, if any (the rest are restocked)."""

    model_config = ConfigDict(extra="forbid")

    damaged: list[DamagedItemIn] = Field(default_factory=list, max_length=100)
    refund_method: RefundMethod = Field(default=RefundMethod.ORIGINAL, description=REFUND_METHOD_HELP)

    def damaged_by_line(self) -> dict[uuid.UUID, int]:
        by_line: dict[uuid.UUID, int] = {}
        for item in self.damaged:
            by_line[item.order_line_id] = by_line.get(item.order_line_id, 0) + item.quantity
        return by_line


class ReturnRequestReject(BaseModel):
    """Why an open request is refused."""

    model_config = ConfigDict(extra="forbid")

    note: Text = Field(min_length=1, max_length=1000)


class RequestedItemRead(BaseModel):
    """A requested line and how many units."""

    order_line_id: uuid.UUID
    quantity: int


class ReturnRequestRead(BaseModel):
    """A return request: open → received (refund owed) → refunded, or rejected."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    status: ReturnRequestStatus
    items: list[RequestedItemRead]
    reason: str
    channel: Channel
    return_id: uuid.UUID | None = Field(description="the return created when the goods were received")
    refund_amount: Decimal
    rejection_note: str
    created_at: datetime
    received_at: datetime | None
    refunded_at: datetime | None
