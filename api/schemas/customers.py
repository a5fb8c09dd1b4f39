"""Customer schemas: contact details, structured addresses, lifetime figures (profit for owners only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from api.schemas.common import Text, set_fields
from domain.customers import AddressDraft, CustomerDraft
from domain.models import Channel, CreditKind

Phone = Annotated[
    str,
    StringConstraints(min_length=4, max_length=32, pattern=r"^\+?[0-9 ().\-/]+$"),
]
"""A phone number in any common form: `+234 803 123 4567`, `0803-123-4567` (completed with the
business's country calling code)."""
WaId = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{7,14}$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[^\x00]*$")]
Country = Annotated[str, StringConstraints(pattern=r"^([A-Za-z]{2})?$")]


class AddressCreate(BaseModel):
    """A delivery address; `is_default` makes it the one orders use when none is chosen."""

    model_config = ConfigDict(extra="forbid")

    label: Text = Field(default="", max_length=60, description="e.g. home, office")
    line1: Text = Field(min_length=1, max_length=200)
    line2: Text = Field(default="", max_length=200)
    city: Text = Field(default="", max_length=100)
    region: Text = Field(default="", max_length=100)
    postcode: Text = Field(default="", max_length=20)
    country: Country = Field(default="", description="ISO 3166 alpha-2, e.g. NG")
    is_default: bool = False

    def to_domain(self) -> AddressDraft:
        return AddressDraft(**self.model_dump())


class AddressUpdate(BaseModel):
    """Address fields to change; omitted fields stay. Orders keep the address they were placed with."""

    model_config = ConfigDict(extra="forbid")

    label: Text | None = Field(default=None, max_length=60)
    line1: Text | None = Field(default=None, min_length=1, max_length=200)
    line2: Text | None = Field(default=None, max_length=200)
    city: Text | None = Field(default=None, max_length=100)
    region: Text | None = Field(default=None, max_length=100)
    postcode: Text | None = Field(default=None, max_length=20)
    country: Country | None = None
    is_default: bool | None = Field(default=None, description="true makes this the default")

    def changes(self) -> dict[str, object]:
        return set_fields(self)


class AddressRead(BaseModel):
    """A saved delivery address."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    label: str
    line1: str
    line2: str
    city: str
    region: str
    postcode: str
    country: str
    is_default: bool


class CustomerCreate(BaseModel):
    """A customer entered by staff. A phone already on file answers 409 naming that customer."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    wa_id: WaId | None = Field(default=None, description="WhatsApp id: the number with country code, no +")
    notes: Text = Field(default="", max_length=5000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    marketing_opt_out: bool = False
    addresses: list[AddressCreate] = Field(default_factory=list, max_length=20)

    def to_domain(self) -> CustomerDraft:
        return CustomerDraft(
            name=self.name,
            phone=self.phone,
            email=self.email,
            wa_id=self.wa_id,
            notes=self.notes,
            tags=self.tags,
            marketing_opt_out=self.marketing_opt_out,
            addresses=[a.to_domain() for a in self.addresses],
        )


class CustomerUpdate(BaseModel):
    """Fields to change; omitted fields stay, `null` clears phone, e-mail or WhatsApp id."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    wa_id: WaId | None = None
    notes: Text | None = Field(default=None, max_length=5000)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    marketing_opt_out: bool | None = None

    def changes(self) -> dict[str, object]:
        return set_fields(self, nullable=frozenset({"phone", "email", "wa_id"}))


class CustomerRead(BaseModel):
    """A customer with their addresses (default first). Erased customers keep only their id and dates."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    phone: str | None = Field(description="E.164")
    email: str | None
    wa_id: str | None
    notes: str
    tags: list[str]
    marketing_opt_out: bool
    store_credit_balance: Decimal
    addresses: list[AddressRead]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    erased_at: datetime | None


class CustomerFiguresRead(BaseModel):
    """Lifetime figures over live (not cancelled) orders: revenue after discounts, refunds, net sales."""

    model_config = ConfigDict(from_attributes=True)

    order_count: int
    revenue: Decimal
    refunds: Decimal
    net_sales: Decimal
    return_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None


class CustomerFiguresOwnerRead(CustomerFiguresRead):
    """The same with gross profit: net sales − the cost of the units the customer kept (owners only)."""

    gross_profit: Decimal


class StoreCreditAdjust(BaseModel):
    """The owner grants (positive `amount`) or deducts (negative) store credit, saying why."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(max_digits=14, decimal_places=2, description="positive grants, negative deducts")
    reason: Text = Field(min_length=1, max_length=500)


class StoreCreditMovementRead(BaseModel):
    """One change of a customer's store credit, with the balance after it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: CreditKind
    amount: Decimal = Field(description="positive adds credit, negative takes it")
    balance_after: Decimal
    reason: str
    reference_type: str | None = Field(description="order or return, when one moved the credit")
    reference_id: uuid.UUID | None
    channel: Channel
    created_by_user_id: uuid.UUID | None
    created_at: datetime


class StoreCreditRead(BaseModel):
    """A customer's store credit balance and one page of movements, newest first."""

    customer_id: uuid.UUID
    balance: Decimal
    items: list[StoreCreditMovementRead]
    total: int
    limit: int
    offset: int
