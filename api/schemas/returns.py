"""Return and exchange schemas. Refunds are computed by the server, never sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Quantity, Text
from domain.models import Channel, ItemCondition, PaymentMethod, ReturnKind
from domain.returns import ReturnItem


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
    channel: Channel
    created_at: datetime
    lines: list[ReturnLineRead]
