"""/products: the catalog with its variants, searchable, with a low-stock filter."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import CurrentContext
from api.deps import SessionDep
from api.schemas.catalog import ProductCreate, ProductOwnerRead, ProductRead, ProductUpdate
from api.schemas.common import Page, PageQuery, Text
from domain import catalog
from domain import search as search_service
from domain.context import Context
from domain.errors import NotFound
from domain.models import Product, Role

router = APIRouter(prefix="/products", tags=["products"])

ProductView = ProductOwnerRead | ProductRead


def present(product: Product, ctx: Context) -> ProductView:
    """Owners see average costs; staff do not."""
    schema = ProductOwnerRead if ctx.role is Role.OWNER else ProductRead
    return schema.model_validate(product)


@router.post("", status_code=201)
def create_product(body: ProductCreate, ctx: CurrentContext, session: SessionDep) -> ProductView:
    """Add a product with its variants (stock starts at 0: receive it through /inventory/adjustments)."""
    return present(catalog.create_product(session, ctx, body.to_domain()), ctx)


@router.get("")
def list_products(
    ctx: CurrentContext,
    session: SessionDep,
    page: PageQuery,
    search: Annotated[str | None, Query(max_length=200, description="Words or word prefixes")] = None,
    category: Annotated[Text | None, Query(max_length=100)] = None,
    low_stock: Annotated[bool, Query(description="Only products with a variant at or below its reorder point")] = False,
    include_inactive: bool = False,
) -> Page[ProductView]:
    """Products with their variants; with `search`, best matches first (words, word prefixes, plurals,
    one-letter typos, SKU prefixes and fragments, categories; `-word` excludes)."""
    filters = {"category": category, "low_stock": low_stock, "include_inactive": include_inactive}
    if search and search.strip():
        found = search_service.search_products(session, ctx, search, **filters, limit=page.limit, offset=page.offset)
        items, total = found.products, found.total
    else:
        items, total = catalog.list_products(session, ctx, **filters, limit=page.limit, offset=page.offset)
    return Page(items=[present(p, ctx) for p in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{product_id}")
def get_product(product_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> ProductView:
    """One product with its variants."""
    return present(catalog.get_product(session, ctx, product_id), ctx)


@router.patch("/{product_id}")
def update_product(product_id: uuid.UUID, body: ProductUpdate, ctx: CurrentContext, session: SessionDep) -> ProductView:
    """Change product fields, edit variants by id, or add variants."""
    product_changes = body.model_dump(include={"name", "description", "category", "is_active"}, exclude_none=True)
    if product_changes:
        catalog.update_product(session, ctx, product_id, product_changes)
    product = catalog.get_product(session, ctx, product_id)
    own_variants = {v.id for v in product.variants}
    for variant_id, change in body.variants.items():
        if variant_id not in own_variants:
            raise NotFound(f"variant {variant_id} is not part of product {product_id}")
        catalog.update_variant(session, ctx, variant_id, change.model_dump(exclude_none=True))
    for spec in body.add_variants:
        catalog.add_variant(session, ctx, product_id, spec.to_domain())
    session.expire_all()
    return present(catalog.get_product(session, ctx, product_id), ctx)


@router.delete("/{product_id}")
def delete_product(product_id: uuid.UUID, ctx: CurrentContext, session: SessionDep) -> ProductView:
    """Retire the product and its variants (owners; order history keeps referring to them)."""
    return present(catalog.delete_product(session, ctx, product_id), ctx)
