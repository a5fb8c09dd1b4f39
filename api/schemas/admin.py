"""Platform admin schemas: onboarding a client with its owner, client listings, the cross-client dashboard."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.auth import Username, UserRead
from api.schemas.business import BusinessFields, BusinessOwnerRead
from api.schemas.catalog import ProductOwnerRead
from api.schemas.common import Page, Text
from api.schemas.orders import OrderOwnerRead

CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{2,39}$"


class OwnerCreate(BaseModel):
    """The new business's first owner."""

    model_config = ConfigDict(extra="forbid")

    username: str = Username
    password: str = Field(min_length=8, max_length=200)


class ClientCreate(BusinessFields):
    """A new business: its id (a slug used at login), name, profile, policies and first owner. Omitted
    fields take the platform defaults."""

    id: str = Field(min_length=3, max_length=40, pattern=CLIENT_ID_PATTERN, description="e.g. acme_shoes")
    name: Text = Field(min_length=1, max_length=200)
    owner: OwnerCreate

    def client_fields(self) -> dict[str, object]:
        """The profile and policy fields that were given."""
        return self.model_dump(exclude={"id", "name", "owner"}, exclude_none=True)


class ClientRead(BusinessOwnerRead):
    """A business with its profile and policies (no secrets)."""

    created_at: datetime


class ClientCreated(BaseModel):
    """The new business and its owner, who can now log in with the client id."""

    client: ClientRead
    owner: UserRead


class ClientKpisRead(BaseModel):
    """One client's all-time figures: live orders, net sales (revenue − discounts − refunds), stock at cost."""

    model_config = ConfigDict(from_attributes=True)

    client_id: str
    name: str
    currency: str
    order_count: int
    net_sales: Decimal
    inventory_value: Decimal
    units_on_hand: int


class CurrencyTotalsRead(BaseModel):
    """The same figures summed over the clients trading in one currency."""

    model_config = ConfigDict(from_attributes=True)

    currency: str
    client_count: int
    order_count: int
    net_sales: Decimal
    inventory_value: Decimal
    units_on_hand: int


class PlatformDashboardRead(BaseModel):
    """Totals per currency over every matching client, and a page of per-client rows by client id."""

    totals: list[CurrencyTotalsRead]
    clients: Page[ClientKpisRead]


class AdminProductRead(ProductOwnerRead):
    """A product with costs, and the business it belongs to."""

    client_id: str


class AdminOrderRead(OrderOwnerRead):
    """An order with costs, and the business it belongs to."""

    client_id: str
