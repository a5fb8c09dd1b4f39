"""/products: the catalog with its variants, searchable by words or by photo, with a low-stock filter,
and each product's pictures."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import File, Form, Query, Response, UploadFile

from api.auth import CurrentCaller
from api.deps import ImageDescriberDep, ImageEmbedderDep, ObjectStorageDep, TextEmbedderDep
from api.problems import problem_response
from api.routing import ApiRouter
from api.schemas.catalog import (
    ImageMatchRead,
    ImageSearchRead,
    ProductCreate,
    ProductImageRead,
    ProductOwnerRead,
    ProductRead,
    ProductUpdate,
)
from api.schemas.common import Page, PageQuery, Text
from domain import catalog, images
from domain import search as search_service
from domain.context import Context
from domain.errors import NotFound
from domain.models import Product, Role

router = ApiRouter(prefix="/products", tags=["products"])

IMAGE_UPLOAD_PATHS = r"/api/v1/products/(image-search|[^/]+/images)"
"""Routes that take a picture: the body limit there is the picture's plus room for the multipart framing."""
IMAGE_UPLOAD_BODY_BYTES = images.MAX_IMAGE_BYTES + 64 * 1024
PICTURE_PROBLEMS: dict[int | str, dict[str, object]] = {
    413: problem_response("The picture is larger than 10 MB"),
    415: problem_response("The upload is not a JPEG, PNG or WebP picture"),
}
Picture = Annotated[UploadFile, File(description="A JPEG, PNG or WebP picture, at most 10 MB")]

ProductView = ProductOwnerRead | ProductRead


def present(product: Product | dict[str, Any], ctx: Context) -> ProductView:
    """Owners see average costs; staff do not."""
    schema = ProductOwnerRead if ctx.role is Role.OWNER else ProductRead
    return schema.model_validate(product)


@router.post("", status_code=201)
def create_product(body: ProductCreate, caller: CurrentCaller) -> ProductView:
    """Add a product with its variants (stock starts at 0: receive it through /inventory/adjustments)."""
    with caller.transaction() as (session, ctx):
        return present(catalog.create_product(session, ctx, body.to_domain()), ctx)


@router.get("")
def list_products(
    caller: CurrentCaller,
    page: PageQuery,
    meaning: TextEmbedderDep,
    search: Annotated[
        str | None, Query(max_length=200, description="Words, word prefixes, SKUs or SKU fragments; typos corrected")
    ] = None,
    category: Annotated[Text | None, Query(max_length=100)] = None,
    low_stock: Annotated[bool, Query(description="Only products with a variant at or below its reorder point")] = False,
    include_inactive: bool = False,
) -> Page[ProductView]:
    """Products with their variants; with `search`, best matches first (words, word prefixes, plurals,
    one-letter typos, SKU prefixes and fragments, categories; `-word` excludes; and by meaning when
    TEXT_EMBEDDER is set)."""
    filters = {"category": category, "low_stock": low_stock, "include_inactive": include_inactive}
    with caller.transaction() as (session, ctx):
        if search and search.strip():
            found = search_service.search_products(
                session, ctx, search, **filters, limit=page.limit, offset=page.offset, meaning=meaning
            )
            items, total = found.products, found.total
        else:
            items, total = catalog.list_products(session, ctx, **filters, limit=page.limit, offset=page.offset)
        return Page(items=[present(p, ctx) for p in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{product_id}")
def get_product(product_id: uuid.UUID, caller: CurrentCaller) -> ProductView:
    """One product with its variants."""
    with caller.transaction() as (session, ctx):
        return present(catalog.product_values(session, ctx, product_id), ctx)


@router.patch("/{product_id}")
def update_product(product_id: uuid.UUID, body: ProductUpdate, caller: CurrentCaller) -> ProductView:
    """Change product fields, edit variants by id, or add variants."""
    with caller.transaction() as (session, ctx):
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
def delete_product(product_id: uuid.UUID, caller: CurrentCaller) -> ProductView:
    """Retire the product and its variants (owners; order history keeps referring to them)."""
    with caller.transaction() as (session, ctx):
        return present(catalog.delete_product(session, ctx, product_id), ctx)


def _read(upload: UploadFile) -> bytes:
    """The upload's bytes, one past the limit at most (the domain refuses bigger pictures)."""
    return upload.file.read(images.MAX_IMAGE_BYTES + 1)


@router.post("/image-search", responses=PICTURE_PROBLEMS)
def search_by_image(
    file: Picture,
    caller: CurrentCaller,
    embedder: ImageEmbedderDep,
    describer: ImageDescriberDep,
    limit: Annotated[int, Query(ge=1, le=search_service.MAX_IMAGE_RESULTS)] = 10,
) -> ImageSearchRead:
    """Products of this shop that look like the photo (a screenshot, crop or copy of a catalog picture), best first."""
    with caller.transaction() as (session, ctx):
        found = search_service.search_by_image(session, ctx, embedder, _read(file), limit=limit, describer=describer)
        return ImageSearchRead(
            items=[ImageMatchRead(product=present(m.product, ctx), score=round(m.score, 4)) for m in found.matches],
            description=found.description,
        )


@router.post("/{product_id}/images", status_code=201, responses=PICTURE_PROBLEMS)
def add_image(
    product_id: uuid.UUID,
    file: Picture,
    caller: CurrentCaller,
    storage: ObjectStorageDep,
    embedder: ImageEmbedderDep,
    variant_id: Annotated[uuid.UUID | None, Form(description="The variant the picture shows, if one")] = None,
) -> ProductImageRead:
    """Add a picture of the product (owner or staff); it is found by image search at once."""
    with caller.transaction() as (session, ctx):
        row = images.add_image(session, ctx, storage, embedder, product_id, _read(file), variant_id=variant_id)
        return ProductImageRead.model_validate(row)


@router.get("/{product_id}/images")
def list_images(product_id: uuid.UUID, caller: CurrentCaller) -> list[ProductImageRead]:
    """The product's pictures, oldest first."""
    with caller.transaction() as (session, ctx):
        return [ProductImageRead.model_validate(row) for row in images.list_images(session, ctx, product_id)]


@router.get(
    "/{product_id}/images/{image_id}/content",
    response_class=Response,
    responses={200: {"content": {t: {} for t in images.EXTENSIONS}, "description": "The picture's bytes"}},
)
def get_image_content(
    product_id: uuid.UUID, image_id: uuid.UUID, caller: CurrentCaller, storage: ObjectStorageDep
) -> Response:
    """The picture itself."""
    with caller.transaction() as (session, ctx):
        data, content_type = images.image_content(session, ctx, storage, product_id, image_id)
        return Response(data, media_type=content_type)


@router.delete("/{product_id}/images/{image_id}", status_code=204)
def delete_image(product_id: uuid.UUID, image_id: uuid.UUID, caller: CurrentCaller, storage: ObjectStorageDep) -> None:
    """Remove a picture (owner or staff)."""
    with caller.transaction() as (session, ctx):
        images.delete_image(session, ctx, storage, product_id, image_id)
