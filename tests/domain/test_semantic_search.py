"""Meaning search with the real all-MiniLM-L6-v2 model (the `semantic` extra) on real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain import catalog, search, semantic
from domain.context import Context, scoped
from domain.models import ProductTextVector
from infra.text_embeddings import TEXT_DIM, MiniLM, TextEmbedder, make_text_embedder
from tests.domain.test_catalog import names, simple


@pytest.fixture(scope="module")
def minilm() -> TextEmbedder:
    return MiniLM()


@pytest.fixture
def wardrobe(db: Session, tenant_a: Context) -> None:
    for spec in (
        simple("Wool Overcoat", "COAT-GRY-M", "120.00", "Outerwear", "Heavy grey coat that keeps you warm in winter"),
        simple("White Linen Shirt", "LINEN-WHT-M", "45.00", "Shirts", "Breathable linen for hot summer days"),
        simple("Enamel Camping Mug", "MUG-BLU-350", "12.50", "Kitchen", "350 ml mug for tea or coffee outdoors"),
        simple("Running Sneakers", "SNK-42", "80.00", "Shoes", "Light trainers for jogging"),
    ):
        catalog.create_product(db, tenant_a, spec)


def meaning(db: Session, ctx: Context, embedder: TextEmbedder, text: str) -> list[str]:
    return names(search.search_products(db, ctx, text, meaning=embedder).products)


def test_the_model_gives_unit_vectors_that_place_related_texts_closer(minilm: TextEmbedder) -> None:
    coat, winter, mug = minilm.embed(["wool overcoat", "a warm jacket for snowy weather", "coffee mug"])
    assert len(coat) == TEXT_DIM == minilm.dimensions
    assert sum(x * x for x in coat) == pytest.approx(1.0, abs=1e-4)
    similarity = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert similarity(coat, winter) > similarity(mug, winter) + 0.1


def test_words_that_share_no_letters_with_the_catalog_find_the_product_by_meaning(
    db: Session, tenant_a: Context, wardrobe: None, minilm: TextEmbedder
) -> None:
    asked = {
        "a jacket for snowy weather": "Wool Overcoat",
        "footwear for exercise": "Running Sneakers",
        "something to drink coffee from": "Enamel Camping Mug",
        "what to wear on a hot beach day": "White Linen Shirt",
    }
    for text, product in asked.items():
        assert search.search_products(db, tenant_a, text).total == 0, text  # no word matches
        assert meaning(db, tenant_a, minilm, text)[0] == product, text
    assert meaning(db, tenant_a, minilm, "laptop charger") == []  # nothing means that: no filler results


def test_an_exact_word_or_sku_match_still_comes_first_and_unrelated_products_stay_out(
    db: Session, tenant_a: Context, wardrobe: None, minilm: TextEmbedder
) -> None:
    assert meaning(db, tenant_a, minilm, "LINEN-WHT")[0] == "White Linen Shirt"
    found = meaning(db, tenant_a, minilm, "mug")
    assert found[0] == "Enamel Camping Mug"
    assert "Wool Overcoat" not in found  # below the similarity floor
    variants = search.search_variants(db, tenant_a, "warm winter coat", meaning=minilm)
    assert variants[0].sku == "COAT-GRY-M"


def test_vectors_follow_the_catalog_text_and_are_made_once(
    db: Session, tenant_a: Context, wardrobe: None, minilm: TextEmbedder
) -> None:
    assert semantic.refresh_text_vectors(db, tenant_a, minilm) == 4
    assert semantic.refresh_text_vectors(db, tenant_a, minilm) == 0
    mug = catalog.list_products(db, tenant_a, category="kitchen")[0][0]
    catalog.update_product(db, tenant_a, mug.id, {"description": "Thermos flask for hot soup"})
    assert semantic.refresh_text_vectors(db, tenant_a, minilm) == 1
    assert meaning(db, tenant_a, minilm, "a bottle that keeps soup hot")[0] == "Enamel Camping Mug"


def test_meaning_search_never_returns_another_shops_products(
    db: Session, tenant_a: Context, tenant_b: Context, wardrobe: None, minilm: TextEmbedder
) -> None:
    catalog.create_product(db, tenant_b, simple("Down Parka", "PARKA-1", "200.00", "Outerwear", "Warm winter jacket"))
    assert "Down Parka" not in meaning(db, tenant_a, minilm, "warm winter jacket")
    assert meaning(db, tenant_b, minilm, "warm winter jacket") == ["Down Parka"]
    count = select(func.count()).select_from(ProductTextVector)
    assert scoped(db, tenant_a).scalar(count) == 4  # row-level security: each shop sees its own vectors
    assert scoped(db, tenant_b).scalar(count) == 1


def test_word_search_alone_when_no_embedder_is_configured() -> None:
    assert make_text_embedder("none") is None
