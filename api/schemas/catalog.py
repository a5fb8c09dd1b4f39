"""Product and variant schemas: ProductCreate / ProductUpdate / ProductRead. Stock and cost are
never writable here; staff never see costs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Text
from domain.catalog import MAX_SKU_LENGTH, SKU_PATTERN, ProductSpec, VariantSpec

Price = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Sku = Annotated[str, Field(min_length=1, max_length=MAX_SKU_LENGTH, pattern=f"^{SKU_PATTERN.pattern}$")]


class VariantCreate(BaseModel):
    """A SKU with its price and options (e.g. {"size": "M"})."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    price: Price
    options: dict[Text, Text] = Field(default_factory=dict, max_length=10)
    reorder_point: int = Field(default=0, ge=0, le=1_000_000)

    def to_domain(self) -> VariantSpec:
        return VariantSpec(self.sku, self.price, dict(self.options), self.reorder_point)


class VariantUpdate(BaseModel):
    """Fields of a variant that may change; omitted fields stay."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    price: Price | None = None
    options: dict[Text, Text] | None = Field(default=None, max_length=10)
    reorder_point: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None


class ProductCreate(BaseModel):
    """A product and at least one variant (one without options for a simple product)."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=5000)
    category: Text = Field(default="general", min_length=1, max_length=100)
    variants: list[VariantCreate] = Field(min_length=1, max_length=100)

    def to_domain(self) -> ProductSpec:
        return ProductSpec(self.name, self.description, self.category, [v.to_domain() for v in self.variants])


class ProductUpdate(BaseModel):
    """Product fields that may change, and optional per-variant edits keyed by variant id."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    category: Text | None = Field(default=None, min_length=1, max_length=100)
    is_active: bool | None = None
    variants: dict[uuid.UUID, VariantUpdate] = Field(default_factory=dict, max_length=100)
    add_variants: list[VariantCreate] = Field(default_factory=list, max_length=100)


class VariantRead(BaseModel):
    """A SKU as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sku: str
    options: dict[str, str]
    price: Decimal
    reorder_point: int
    on_hand: int
    is_active: bool


class VariantOwnerRead(VariantRead):
    """A SKU with its weighted-average cost (owners only)."""

    avg_cost: Decimal


class ProductRead(BaseModel):
    """A product with its variants."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    category: str
    is_active: bool
    created_at: datetime
    variants: list[VariantRead]


class ProductOwnerRead(ProductRead):
    """A product with variant costs (owners only)."""

    variants: list[VariantOwnerRead]


class ProductImageRead(BaseModel):
    """A stored picture of a product (its bytes: GET .../images/{id}/content)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    product_id: uuid.UUID
    variant_id: uuid.UUID | None
    content_type: str
    byte_size: int
    width: int
    height: int
    sha256: str
    embedder: str
    created_at: datetime


class ImageMatchRead(BaseModel):
    """A product found from a photo, with its score (higher is closer)."""

    product: ProductOwnerRead | ProductRead
    score: float


class ImageSearchRead(BaseModel):
    """Products that look like the photo, best first; `description` is the vision model's words, if one is set."""

    items: list[ImageMatchRead]
    description: str | None = None
