"""Product pictures: checked uploads (JPEG, PNG or WebP up to 10 MB), stored bytes and search vectors.

The bytes go to object storage and the row (with the vector) to PostgreSQL in the caller's
transaction. Storage is not transactional: an upload whose transaction later rolls back leaves
an unreferenced object behind, and a deleted picture's object is removed before the commit.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from domain import catalog
from domain.context import Context, scoped
from domain.errors import NotFound, PayloadTooLarge, UnsupportedMedia, ValidationFailed
from domain.models import ProductImage, Role
from infra.embeddings import ImageEmbedder
from infra.object_storage import ObjectMissing, ObjectStorage

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 8
MAX_IMAGES_PER_PRODUCT = 20
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class Picture:
    """An upload that is a real picture: its RGB pixels (upright) and what it was."""

    image: Image.Image
    content_type: str
    data: bytes


def read_picture(data: bytes) -> Picture:
    """Decode an upload, refusing anything but a whole JPEG, PNG or WebP picture of sane size."""
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"the picture is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB; send a smaller one")
    if not data:
        raise ValidationFailed("the upload is empty; send a JPEG, PNG or WebP picture", field="file")
    try:
        probe = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise UnsupportedMedia("the upload is not a picture; send a JPEG, PNG or WebP image") from None
    content_type = CONTENT_TYPES.get(probe.format or "")
    if content_type is None:
        raise UnsupportedMedia(f"{probe.format} pictures are not accepted; send JPEG, PNG or WebP")
    width, height = probe.size
    if width * height > MAX_IMAGE_PIXELS or min(width, height) < MIN_IMAGE_SIDE:
        raise ValidationFailed(
            f"the picture is {width}×{height}; send one between {MIN_IMAGE_SIDE} pixels a side "
            f"and {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
            field="file",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe.load()
        upright = ImageOps.exif_transpose(probe)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationFailed("the picture is damaged or cut short; send the whole file", field="file") from None
    return Picture(_flatten(upright), content_type, data)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(backdrop, rgba).convert("RGB")
    return image.convert("RGB")


def _images(ctx: Context, product_id: uuid.UUID) -> Select[tuple[ProductImage]]:
    return (
        select(ProductImage)
        .where(ProductImage.client_id == ctx.client_id, ProductImage.product_id == product_id)
        .order_by(ProductImage.created_at, ProductImage.id)
    )


def add_image(
    session: Session,
    ctx: Context,
    storage: ObjectStorage,
    embedder: ImageEmbedder,
    product_id: uuid.UUID,
    data: bytes,
    *,
    variant_id: uuid.UUID | None = None,
) -> ProductImage:
    """Store a picture of a product (owner or staff), optionally of one of its variants, with its vector."""
    ctx.require(Role.OWNER, Role.STAFF, action="adding a product picture")
    picture = read_picture(data)
    product = catalog.get_product(session, ctx, product_id)
    if variant_id is not None and variant_id not in {v.id for v in product.variants}:
        raise NotFound(f"variant {variant_id} is not part of product {product_id}")
    count = session.scalar(select(func.count()).select_from(_images(ctx, product_id).subquery())) or 0
    if count >= MAX_IMAGES_PER_PRODUCT:
        raise ValidationFailed(f"a product has at most {MAX_IMAGES_PER_PRODUCT} pictures; delete one first")
    image_id = uuid.uuid4()
    row = ProductImage(
        id=image_id,
        client_id=ctx.client_id,
        product_id=product.id,
        variant_id=variant_id,
        storage_key=f"{ctx.client_id}/products/{product.id}/{image_id}.{EXTENSIONS[picture.content_type]}",
        content_type=picture.content_type,
        byte_size=len(data),
        width=picture.image.width,
        height=picture.image.height,
        sha256=hashlib.sha256(data).hexdigest(),
        embedder=embedder.name,
        embedding=embedder.embed(picture.image),
    )
    session.add(row)
    session.flush()
    storage.put(row.storage_key, data, picture.content_type)
    return row


def list_images(session: Session, ctx: Context, product_id: uuid.UUID) -> list[ProductImage]:
    """A product's pictures, oldest first (anyone who may see the product)."""
    catalog.get_product(session, ctx, product_id)
    return list(scoped(session, ctx).scalars(_images(ctx, product_id)))


def get_image(session: Session, ctx: Context, product_id: uuid.UUID, image_id: uuid.UUID) -> ProductImage:
    """One picture of a product."""
    catalog.get_product(session, ctx, product_id)
    row = scoped(session, ctx).scalars(_images(ctx, product_id).where(ProductImage.id == image_id)).first()
    if row is None:
        raise NotFound(f"picture {image_id} of product {product_id} not found")
    return row


def image_content(
    session: Session, ctx: Context, storage: ObjectStorage, product_id: uuid.UUID, image_id: uuid.UUID
) -> tuple[bytes, str]:
    """A picture's bytes and content type."""
    row = get_image(session, ctx, product_id, image_id)
    try:
        return storage.get(row.storage_key), row.content_type
    except ObjectMissing:
        raise NotFound(f"the file of picture {image_id} is missing from storage; upload it again") from None


def delete_image(
    session: Session, ctx: Context, storage: ObjectStorage, product_id: uuid.UUID, image_id: uuid.UUID
) -> None:
    """Remove a picture and its stored bytes (owner or staff)."""
    ctx.require(Role.OWNER, Role.STAFF, action="deleting a product picture")
    row = get_image(session, ctx, product_id, image_id)
    session.delete(row)
    session.flush()
    storage.delete(row.storage_key)


def reembed_images(
    session: Session,
    ctx: Context,
    storage: ObjectStorage,
    embedder: ImageEmbedder,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Recompute every picture's vector of this client with `embedder` (after a provider change);
    `on_progress(done, total)` after each. Returns how many were re-embedded."""
    ctx.require(Role.OWNER, action="re-embedding the catalog's pictures")
    rows = list(
        scoped(session, ctx).scalars(
            select(ProductImage).where(ProductImage.client_id == ctx.client_id).order_by(ProductImage.id)
        )
    )
    for done, row in enumerate(rows, start=1):
        row.embedding = embedder.embed(read_picture(storage.get(row.storage_key)).image)
        row.embedder = embedder.name
        session.flush()
        on_progress(done, len(rows))
    return len(rows)
