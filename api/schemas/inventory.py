"""Stock receipt/adjustment and movement schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Text
from domain import inventory
from domain.models import MovementKind


class StockChange(BaseModel):
    """A receipt (positive quantity at a unit cost) or an adjustment (signed quantity with a reason)."""

    model_config = ConfigDict(extra="forbid")

    variant_id: uuid.UUID
    type: Literal["receipt", "adjustment"]
    quantity: int = Field(ge=-inventory.MAX_QUANTITY, le=inventory.MAX_QUANTITY)
    unit_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    reason: Text = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _shape(self) -> StockChange:
        if self.type == "receipt" and (self.unit_cost is None or self.quantity <= 0):
            raise ValueError("a receipt needs a positive quantity and a unit_cost")
        if self.type == "adjustment" and (self.unit_cost is not None or self.quantity == 0 or not self.reason.strip()):
            raise ValueError("an adjustment needs a non-zero quantity and a reason, and takes no unit_cost")
        return self


class MovementRead(BaseModel):
    """A stock movement as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    variant_id: uuid.UUID
    kind: MovementKind
    quantity: int
    balance_after: int
    reason: str
    reference_type: str | None
    reference_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    created_at: datetime


class MovementOwnerRead(MovementRead):
    """A movement with its cost and book-value change (owners only)."""

    unit_cost: Decimal
    value: Decimal
    avg_cost_after: Decimal
