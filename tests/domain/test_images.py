"""Product pictures and photo search on real PostgreSQL + pgvector: a catalog of 56 generated pictures,
edited copies of them found again, uploads refused, tenants kept apart, recall under the tenant filter."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from domain import catalog, images, search
from domain.context import Context, scoped
from domain.errors import Forbidden, NotFound, PayloadTooLarge, UnsupportedMedia, ValidationFailed
from domain.models import ProductImage
from domain.pictures import encode, product_picture
from infra.embeddings import VisualDescriptor
from infra.object_storage import LocalObjectStorage
from tests.domain.test_catalog import customer_of, simple, staff_of

CATALOG_SIZE = 56
EMBEDDER = VisualDescriptor()


@pytest.fixture
def storage(tmp_path: Path) -> LocalObjectStorage:
    return LocalObjectStorage(tmp_path / "objects")


def add_pictured_product(db: Session, ctx: Context, storage, index: int) -> uuid.UUID:
    product = catalog.create_product(db, ctx, simple(f"Pattern {index:02d}", f"PAT-{index:02d}", category="Prints"))
    images.add_image(db, ctx, storage, EMBEDDER, product.id, encode(product_picture(index)))
    return product.id


@pytest.fixture
def pictured_catalog(db: Session, tenant_a: Context, storage) -> list[uuid.UUID]:
    return [add_pictured_product(db, tenant_a, storage, index) for index in range(CATALOG_SIZE)]


def centre_crop(image: Image.Image) -> Image.Image:
    width, height = image.size
    return image.crop((int(width * 0.15), int(height * 0.15), int(width * 0.85), int(height * 0.85)))


def half_size(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2))


def screenshot(image: Image.Image) -> Image.Image:
    """The picture inside a 10 % grey frame with a dark status bar on top, as a phone screenshot shows it."""
    border_x, border_y = image.width // 10, image.height // 10
    frame = Image.new("RGB", (image.width + 2 * border_x, image.height + 2 * border_y), (236, 236, 236))
    frame.paste(image, (border_x, border_y))
    ImageDraw.Draw(frame).rectangle((0, 0, frame.width, border_y // 2), fill=(30, 30, 30))
    return frame


EDITS: dict[str, tuple[Callable[[Image.Image], Image.Image], dict[str, object]]] = {
    "the photo": (lambda image: image, {"image_format": "PNG"}),
    "a 70 % centre crop": (centre_crop, {"image_format": "PNG"}),
    "a resize to half": (half_size, {"image_format": "PNG"}),
    "JPEG at quality 60": (lambda image: image, {"image_format": "JPEG", "quality": 60}),
    "a screenshot with a 10 % border": (screenshot, {"image_format": "WEBP", "quality": 90}),
}


def test_photos_crops_resizes_recompressions_and_screenshots_find_the_product_in_the_top_3(
    db: Session, tenant_a: Context, pictured_catalog: list[uuid.UUID]
) -> None:
    misses = []
    for index in range(0, CATALOG_SIZE, 4):  # every shape and pattern, in many colours
        for edit_name, (edit, options) in EDITS.items():
            photo = encode(edit(product_picture(index)), **options)  # type: ignore[arg-type]
            result = search.search_by_image(db, tenant_a, EMBEDDER, photo, limit=3)
            if pictured_catalog[index] not in [m.product.id for m in result.matches]:
                misses.append((index, edit_name))
    assert misses == []


def test_the_best_match_scores_highest_and_scores_are_similarities(
    db: Session, tenant_a: Context, pictured_catalog: list[uuid.UUID]
) -> None:
    result = search.search_by_image(db, tenant_a, EMBEDDER, encode(product_picture(7)), limit=5)
    scores = [m.score for m in result.matches]
    assert result.matches[0].product.id == pictured_catalog[7]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(1.0, abs=1e-4)
    assert all(-1.0 <= s <= 1.0 for s in scores)


# --- uploads ----------------------------------------------------------------------------------


def test_a_picture_is_stored_listed_and_deleted_with_its_bytes(db: Session, tenant_a: Context, storage) -> None:
    product = catalog.create_product(db, tenant_a, simple("Tile", "TILE-1"))
    data = encode(product_picture(1), "JPEG", quality=90)
    row = images.add_image(db, tenant_a, storage, EMBEDDER, product.id, data, variant_id=product.variants[0].id)
    assert (row.content_type, row.width, row.height, row.byte_size) == ("image/jpeg", 320, 320, len(data))
    assert row.storage_key == f"shop_a/products/{product.id}/{row.id}.jpg"
    assert storage.get(row.storage_key) == data
    assert [r.id for r in images.list_images(db, tenant_a, product.id)] == [row.id]
    images.delete_image(db, tenant_a, storage, product.id, row.id)
    assert images.list_images(db, tenant_a, product.id) == []
    assert not (storage.root / row.storage_key).exists()


def test_a_picture_whose_file_is_gone_is_not_found(db: Session, tenant_a: Context, storage) -> None:
    product_id = add_pictured_product(db, tenant_a, storage, 2)
    row = images.list_images(db, tenant_a, product_id)[0]
    assert images.image_content(db, tenant_a, storage, product_id, row.id)[1] == "image/png"
    storage.delete(row.storage_key)
    with pytest.raises(NotFound, match="missing from storage"):
        images.image_content(db, tenant_a, storage, product_id, row.id)


def test_a_picture_of_another_products_variant_is_refused(db: Session, tenant_a: Context, storage) -> None:
    tile = catalog.create_product(db, tenant_a, simple("Tile", "TILE-1"))
    mug = catalog.create_product(db, tenant_a, simple("Mug", "MUG-1"))
    with pytest.raises(NotFound, match="not part of product"):
        images.add_image(
            db, tenant_a, storage, EMBEDDER, tile.id, encode(product_picture(1)), variant_id=mug.variants[0].id
        )


def truncated_png() -> bytes:
    return encode(product_picture(2))[:600]


def gif() -> bytes:
    return encode(product_picture(2), "GIF")


def too_big() -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, (1900, 1900, 3), dtype=np.uint8)
    return encode(Image.fromarray(noise), "PNG", compress_level=0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: b"%PDF-1.7 definitely not a picture", UnsupportedMedia, "not a picture"),
        (lambda: b"", ValidationFailed, "empty"),
        (gif, UnsupportedMedia, "GIF pictures are not accepted"),
        (truncated_png, ValidationFailed, "damaged or cut short"),
        (lambda: encode(Image.new("RGB", (4, 300))), ValidationFailed, "between 8 pixels"),
        (too_big, PayloadTooLarge, "larger than 10 MB"),
    ],
    ids=["text", "empty", "gif", "truncated", "sliver", "over-10-MB"],
)
def test_uploads_that_are_not_whole_jpeg_png_or_webp_pictures_are_refused(
    db: Session, tenant_a: Context, storage, make: Callable[[], bytes], error: type[Exception], message: str
) -> None:
    product = catalog.create_product(db, tenant_a, simple("Tile", "TILE-1"))
    with pytest.raises(error, match=message):
        images.add_image(db, tenant_a, storage, EMBEDDER, product.id, make())
    with pytest.raises(error, match=message):
        search.search_by_image(db, tenant_a, EMBEDDER, make())
    assert images.list_images(db, tenant_a, product.id) == []


def test_transparent_pictures_are_laid_on_white() -> None:
    clear = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    picture = images.read_picture(encode(clear))
    assert (picture.content_type, picture.image.mode, picture.image.getpixel((5, 5))) == (
        "image/png",
        "RGB",
        (255, 255, 255),
    )


def test_customers_may_look_but_not_add_or_delete(db: Session, tenant_a: Context, storage) -> None:
    product_id = add_pictured_product(db, tenant_a, storage, 3)
    customer = customer_of(tenant_a)
    listed = images.list_images(db, customer, product_id)
    assert len(listed) == 1
    with pytest.raises(Forbidden):
        images.add_image(db, customer, storage, EMBEDDER, product_id, encode(product_picture(4)))
    with pytest.raises(Forbidden):
        images.delete_image(db, customer, storage, product_id, listed[0].id)
    images.add_image(db, staff_of(tenant_a), storage, EMBEDDER, product_id, encode(product_picture(4)))
    assert len(images.list_images(db, customer, product_id)) == 2


def test_retired_products_are_not_found_by_photo(db: Session, tenant_a: Context, storage) -> None:
    product_id = add_pictured_product(db, tenant_a, storage, 3)
    catalog.delete_product(db, tenant_a, product_id)
    assert search.search_by_image(db, tenant_a, EMBEDDER, encode(product_picture(3))).matches == []


def test_reembedding_recomputes_every_vector_with_the_current_embedder(db: Session, tenant_a: Context, storage) -> None:
    product_id = add_pictured_product(db, tenant_a, storage, 5)
    row = images.list_images(db, tenant_a, product_id)[0]
    row.embedder = "older-model"
    row.embedding = [1.0] + [0.0] * (EMBEDDER.dimensions - 1)
    db.flush()
    progress: list[tuple[int, int]] = []
    assert images.reembed_images(db, tenant_a, storage, EMBEDDER, lambda *step: progress.append(step)) == 1
    db.expire_all()
    fresh = images.list_images(db, tenant_a, product_id)[0]
    assert (fresh.embedder, progress) == (EMBEDDER.name, [(1, 1)])
    assert np.allclose(fresh.embedding, EMBEDDER.embed(product_picture(5)), atol=1e-6)
    with pytest.raises(Forbidden):
        images.reembed_images(db, staff_of(tenant_a), storage, EMBEDDER)


# --- tenants ----------------------------------------------------------------------------------


def test_photo_search_never_returns_another_shops_products(
    db: Session, tenant_a: Context, tenant_b: Context, storage
) -> None:
    shop_a = {add_pictured_product(db, tenant_a, storage, index) for index in range(6)}
    assert search.search_by_image(db, tenant_b, EMBEDDER, encode(product_picture(2))).matches == []
    shop_b = {add_pictured_product(db, tenant_b, storage, index) for index in (10, 11)}
    found = {m.product.id for m in search.search_by_image(db, tenant_b, EMBEDDER, encode(product_picture(2))).matches}
    assert found == shop_b
    assert not found & shop_a
    with pytest.raises(NotFound):
        images.list_images(db, tenant_b, next(iter(shop_a)))


def test_recall_under_the_tenant_filter_needs_the_iterative_scan(
    db: Session, tenant_a: Context, tenant_b: Context, storage
) -> None:
    """Shop B has 3,000 pictures nearer the photo than any of shop A's 10: a plain HNSW scan sees
    only B's rows in its ef_search candidates and gives A almost nothing; the iterative scan gives all 10."""
    shop_a = [add_pictured_product(db, tenant_a, storage, index) for index in range(10)]
    query = np.array(EMBEDDER.embed(product_picture(40)))
    crowd = catalog.create_product(db, tenant_b, simple("Crowd", "CROWD-1"))
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, (3000, len(query)))
    rows = [
        {
            "id": uuid.uuid4(),
            "client_id": "shop_b",
            "product_id": crowd.id,
            "storage_key": f"shop_b/crowd/{n}.png",
            "content_type": "image/png",
            "byte_size": 1,
            "width": 8,
            "height": 8,
            "sha256": "0" * 64,
            "embedder": EMBEDDER.name,
            "embedding": list(map(float, (query + noise[n]) / np.linalg.norm(query + noise[n]))),
        }
        for n in range(3000)
    ]
    scoped(db, tenant_b).execute(insert(ProductImage), rows)
    for setting in ("enable_seqscan", "enable_sort"):  # the HNSW index's order, as the planner picks at scale
        db.execute(text(f"SET LOCAL {setting} = off"))
    found = search.search_by_image(db, tenant_a, EMBEDDER, encode(product_picture(40)), limit=10).matches
    assert sorted(m.product.id for m in found) == sorted(shop_a)
    db.execute(text("SET LOCAL hnsw.iterative_scan = off"))
    scoped(db, tenant_a)
    plain = db.scalars(
        select(ProductImage.product_id)
        .where(ProductImage.client_id == "shop_a")
        .order_by(ProductImage.embedding.cosine_distance(query.tolist()))
        .limit(10)
    ).all()
    assert len(plain) < 10  # what the iterative scan is for


def test_a_picture_round_trips_through_pillow_in_every_accepted_format() -> None:
    for image_format, content_type in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        picture = images.read_picture(encode(product_picture(9), image_format))
        assert (picture.content_type, picture.image.size) == (content_type, (320, 320))
        assert Image.open(io.BytesIO(picture.data)).format == image_format
