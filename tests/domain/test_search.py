"""Text search on real PostgreSQL: prefixes, plurals, typos, SKUs, categories, options, tenants."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from domain import catalog, search
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.errors import ValidationFailed
from tests.domain.test_catalog import D, counting_statements, names, shop_a_catalog, simple

__all__ = ["shop_a_catalog"]  # the fixture, shared with test_catalog


def found(db: Session, ctx: Context, text: str, **filters: object) -> list[str]:
    return names(search.search_products(db, ctx, text, **filters).products)  # type: ignore[arg-type]


def skus(db: Session, ctx: Context, text: str, limit: int = 5) -> list[str]:
    return [v.sku for v in search.search_variants(db, ctx, text, limit)]


# --- pure rules -------------------------------------------------------------------------------


def test_parsing_keeps_words_of_any_script_and_separates_exclusions() -> None:
    parsed = search.parse_query("  Blue  shirt -linen 'x'&| Кружка\x00 ")
    assert parsed.words == ("blue", "shirt", "x", "кружка")
    assert parsed.excluded == ("linen",)
    assert parsed.text == "Blue  shirt -linen 'x'&| Кружка"


def test_a_word_is_corrected_to_the_nearest_catalog_word_by_one_edit() -> None:
    vocabulary = ["linen", "oxford", "shirt", "summer", "mug"]
    assert search.correct_words(["shrit", "linnen", "oxfrd", "mug", "su", "2024", "zebra"], vocabulary) == {
        "shrit": "shirt",  # two letters swapped count as one edit
        "linnen": "linen",
        "oxfrd": "oxford",
    }


def test_a_misspelt_plural_is_corrected_to_the_catalog_word() -> None:
    assert search.correct_words(["shrits", "mugz"], ["shirt", "mug"]) == {"shrits": "shirt", "mugz": "mug"}


def test_long_words_may_be_two_edits_away_short_ones_only_one() -> None:
    assert search.correct_words(["brethable", "shxrx"], ["breathable", "shirt"]) == {"brethable": "breathable"}


# --- on the database --------------------------------------------------------------------------


def test_words_match_as_prefixes_and_name_matches_rank_first(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert found(db, tenant_a, "oxf") == ["Blue Oxford Shirt"]
    assert found(db, tenant_a, "blu shi") == ["Blue Oxford Shirt", "Canvas Tote Bag"]


def test_plurals_find_the_singular_and_the_singular_the_plural(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert found(db, tenant_a, "mugs") == ["Blue Enamel Mug"]
    assert found(db, tenant_a, "tote bags") == ["Canvas Tote Bag"]
    catalog.create_product(db, tenant_a, simple("Linen Napkins", "NAP-4", category="Table"))
    assert found(db, tenant_a, "napkin") == ["Linen Napkins"]


def test_one_letter_typos_are_corrected_against_the_shops_own_words(
    db: Session, tenant_a: Context, shop_a_catalog
) -> None:
    page = search.search_products(db, tenant_a, "oxfrod shrit")
    assert names(page.products) == ["Blue Oxford Shirt"]
    assert page.corrections == {"oxfrod": "oxford", "shrit": "shirt"}
    assert skus(db, tenant_a, "enamle mug") == ["MUG-BLU-350"]
    assert found(db, tenant_a, "velvet") == []


def test_the_agents_search_keeps_the_catalogs_words_when_the_chatter_around_them_matches_nothing(
    db: Session, tenant_a: Context, shop_a_catalog
) -> None:
    assert skus(db, tenant_a, "still got enamle mugs pls") == ["MUG-BLU-350"]
    assert found(db, tenant_a, "still got enamel mugs pls") == []  # the listing stays exact
    assert skus(db, tenant_a, "velvet zebra") == []
    assert skus(db, tenant_a, "mug -enamel pls") == []  # an exclusion is meant: no second try


def test_a_sku_prefix_or_fragment_finds_its_variants(db: Session, tenant_a: Context) -> None:
    sizes = [VariantSpec(f"LSS01-{size}", D("38.00"), {"size": size}) for size in "SML"]
    catalog.create_product(db, tenant_a, ProductSpec("Linen Summer Shirt", category="Shirts", variants=sizes))
    catalog.create_product(db, tenant_a, simple("Sun Hat", "HAT-LSS", category="Hats"))
    assert found(db, tenant_a, "LSS01") == ["Linen Summer Shirt"]
    assert skus(db, tenant_a, "lss01-m") == ["LSS01-M"]
    assert found(db, tenant_a, "SS01") == ["Linen Summer Shirt"]
    assert sorted(skus(db, tenant_a, "LSS")) == ["HAT-LSS", "LSS01-L", "LSS01-M", "LSS01-S"]


def test_an_exact_sku_comes_first(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    catalog.create_product(db, tenant_a, simple("Blue Mug Lid", "MUG-BLU-LID", "3.00", "Kitchen"))
    hits = search.search_variants(db, tenant_a, "mug-blu-350")
    assert [v.sku for v in hits][:1] == ["MUG-BLU-350"]
    assert hits[0].product.name == "Blue Enamel Mug"


def test_categories_and_option_values_match(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert found(db, tenant_a, "kitchen") == ["Blue Enamel Mug"]
    shirts = found(db, tenant_a, "shirts")  # the category and the names outrank the tote's description
    assert (sorted(shirts[:2]), shirts[2:]) == (["Blue Oxford Shirt", "White Linen Shirt"], ["Canvas Tote Bag"])
    assert skus(db, tenant_a, "oxford blue size L") == ["OXF-BLU-L"]


def test_exclusions_phrases_and_filters(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert sorted(found(db, tenant_a, "shirt -linen")) == ["Blue Oxford Shirt", "Canvas Tote Bag"]
    assert sorted(found(db, tenant_a, "shirt -linens")) == ["Blue Oxford Shirt", "Canvas Tote Bag"]
    assert found(db, tenant_a, '"enamel mug" or linen') == ["Blue Enamel Mug", "White Linen Shirt"]
    assert found(db, tenant_a, "linen", category="Shirts") == ["White Linen Shirt"]


@pytest.mark.parametrize("hostile", ["'&|!:*()", "\x00", "!!!", "((((", ":*", "\\'", "' OR 1=1 --", '"', "-", "<->"])
def test_hostile_search_strings_do_not_raise(db: Session, tenant_a: Context, shop_a_catalog, hostile: str) -> None:
    page = search.search_products(db, tenant_a, f"oxford{hostile}")
    assert "Blue Oxford Shirt" in names(page.products)
    assert page.total == len(page.hits)
    assert "MUG-BLU-350" in skus(db, tenant_a, f"mug{hostile}")


def test_a_search_without_words_matches_nothing(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert search.search_products(db, tenant_a, "'&|!:*()").total == 0


@pytest.mark.parametrize(("name", "text"), [("Crème Brûlée Ramekin", "brûl"), ("Чайная Кружка", "кру")])
def test_products_named_in_any_language_are_found_by_prefix(
    db: Session, tenant_a: Context, name: str, text: str
) -> None:
    catalog.create_product(db, tenant_a, simple(name, "RAMEKIN-01", category="Kitchen"))
    assert found(db, tenant_a, text) == [name]
    assert skus(db, tenant_a, text) == ["RAMEKIN-01"]


def test_a_very_long_search_does_not_raise(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert found(db, tenant_a, "blue " + "x" * 5000) == []


def test_a_renamed_product_is_found_by_its_new_name(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    mug = shop_a_catalog["Blue Enamel Mug"]
    catalog.update_product(db, tenant_a, mug.id, {"name": "Speckled Camp Mug"})
    assert [p.id for p in search.search_products(db, tenant_a, "speckled").products] == [mug.id]


def test_search_needs_text_and_respects_limits(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    assert len(search.search_variants(db, tenant_a, "shirt", limit=2)) == 2
    with pytest.raises(ValidationFailed, match="say what to look for"):
        search.search_variants(db, tenant_a, "   ")
    with pytest.raises(ValidationFailed, match="limit"):
        search.search_products(db, tenant_a, "shirt", limit=0)


def test_searching_twenty_products_takes_a_bounded_number_of_statements(db: Session, tenant_a: Context) -> None:
    for n in range(20):
        sizes = [VariantSpec(f"TSHIRT-{n:02}-{size}", D("15.00"), {"size": size}) for size in "SML"]
        catalog.create_product(db, tenant_a, ProductSpec(f"Graphic Tee {n:02}", category="Tees", variants=sizes))
    db.expire_all()
    with counting_statements(db) as statements:
        page = search.search_products(db, tenant_a, "tee", limit=50)
        variants = [v.sku for hit in page.hits for v in hit.variants]
    assert (len(page.hits), page.total, len(variants)) == (20, 20, 60)
    assert len(statements) <= 3, statements


def test_another_shop_finds_nothing_of_this_shop(db: Session, tenant_a: Context, tenant_b: Context, shop_a_catalog):
    assert search.search_products(db, tenant_b, "oxford").total == 0
    assert search.search_products(db, tenant_b, "oxfrod").total == 0  # nor through its vocabulary
    assert skus(db, tenant_b, "OXF") == []
