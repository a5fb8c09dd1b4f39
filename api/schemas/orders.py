"""Order schemas. Callers never send prices, costs or totals; staff never see costs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Percent, Quantity, Text
from domain.models import ApprovalStatus, Channel, OrderStatus, PaymentMethod, PaymentStatus
from domain.orders import LineRequest, OrderChanges, OrderDraft


class OrderLineIn(BaseModel):
    """`quantity` units of one variant."""

    model_config = ConfigDict(extra="forbid")

    variant_id: uuid.UUID
    quantity: Quantity

    def to_domain(self) -> LineRequest:
        return LineRequest(self.variant_id, self.quantity)


class OrderCustomerIn(BaseModel):
    """The buyer by phone: found if the number is on file (in any form), created otherwise."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=4, max_length=32, pattern=r"^\+?[0-9 ().\-/]+$")


class OrderCreate(BaseModel):
    """A new order. The discount is checked against the business's cap."""

    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)
    discount_pct: Percent = Decimal(0)
    customer_id: uuid.UUID | None = None
    customer: OrderCustomerIn | None = Field(default=None, description="instead of customer_id: find or add by phone")
    payment_method: PaymentMethod = Field(
        default=PaymentMethod.CASH, description="how the part not paid with store credit is paid"
    )
    payment_status: PaymentStatus = Field(default=PaymentStatus.UNPAID, description="paid or unpaid")
    store_credit_amount: Decimal = Field(
        default=Decimal(0),
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="part of the total paid from the customer's store credit (needs customer_id; at most the total)",
    )
    delivery_address: Text | None = Field(default=None, max_length=500, description="a one-off address")
    delivery_address_id: uuid.UUID | None = Field(
        default=None, description="one of the customer's saved addresses; without either, their default"
    )
    note: Text = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _one_customer(self) -> OrderCreate:
        if self.customer_id is not None and self.customer is not None:
            raise ValueError("send either customer_id or customer, not both")
        return self

    def to_domain(self, idempotency_key: str | None, customer_id: uuid.UUID | None = None) -> OrderDraft:
        """The draft; `customer_id` is the customer that `customer` was resolved to, if sent."""
        return OrderDraft(
            lines=[line.to_domain() for line in self.lines],
            payment_method=self.payment_method,
            payment_status=self.payment_status,
            discount_pct=self.discount_pct,
            customer_id=customer_id or self.customer_id,
            store_credit_amount=self.store_credit_amount,
            delivery_address=self.delivery_address,
            delivery_address_id=self.delivery_address_id,
            note=self.note,
            idempotency_key=idempotency_key,
        )


class OrderUpdate(BaseModel):
    """Edits to a pending order (a confirmed one with a second factor). Omitted fields stay."""

    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=100)
    delivery_address: Text | None = Field(default=None, max_length=500)
    payment_method: PaymentMethod | None = None
    note: Text | None = Field(default=None, max_length=1000)

    def to_domain(self) -> OrderChanges:
        return OrderChanges(
            lines=[line.to_domain() for line in self.lines] if self.lines is not None else None,
            delivery_address=self.delivery_address,
            payment_method=self.payment_method,
            note=self.note,
        )


class OrderCancel(BaseModel):
    """Why the order is cancelled (stored on the order and in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(default="", max_length=500)


class DiscountDecision(BaseModel):
    """The owner's answer to a discount above the auto-approval threshold."""

    model_config = ConfigDict(extra="forbid")

    approve: bool


class OrderLineRead(BaseModel):
    """A line as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    variant_id: uuid.UUID
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal
    line_subtotal: Decimal
    discount_amount: Decimal
    line_total: Decimal
    returned_quantity: int


class OrderLineOwnerRead(OrderLineRead):
    """A line with its cost (owners only)."""

    unit_cost: Decimal
    cogs_amount: Decimal


class OrderRead(BaseModel):
    """An order as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    status: OrderStatus
    channel: Channel
    customer_id: uuid.UUID | None
    payment_method: PaymentMethod
    payment_status: PaymentStatus
    delivery_address: str | None
    delivery_address_id: uuid.UUID | None
    note: str
    cancel_reason: str
    subtotal: Decimal
    discount_pct: Decimal
    discount_amount: Decimal
    total: Decimal
    store_credit_amount: Decimal = Field(description="paid from the customer's store credit")
    refunded_amount: Decimal
    discount_approval: ApprovalStatus
    created_at: datetime
    confirmed_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineRead]


class OrderOwnerRead(OrderRead):
    """An order with costs, commission and margin (owners only)."""

    lines: list[OrderLineOwnerRead]
    cogs_total: Decimal
    commission_pct: Decimal
    commission_amount: Decimal
