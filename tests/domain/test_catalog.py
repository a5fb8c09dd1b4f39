"""The catalog on real PostgreSQL: products and variants, SKU uniqueness, listing, roles and tenants
(search: test_search.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from domain import catalog, inventory, search
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.models import Channel, Product, Role

D = Decimal


def oxford_shirt(**overrides: object) -> ProductSpec:
    fields: dict[str, object] = {
        "name": "Blue Oxford Shirt",
        "description": "Long-sleeved cotton shirt with a button-down collar",
        "category": "Shirts",
        "variants": [
            VariantSpec("OXF-BLU-M", D("39.90"), {"colour": "blue", "size": "M"}, reorder_point=3),
            VariantSpec("OXF-BLU-L", D("39.90"), {"colour": "blue", "size": "L"}, reorder_point=3),
        ],
    }
    return ProductSpec(**(fields | overrides))  # type: ignore[arg-type]


def simple(name: str, sku: str, price: str = "12.50", category: str = "general", description: str = "") -> ProductSpec:
    return ProductSpec(name, description, category, [VariantSpec(sku, D(price))])


def staff_of(owner: Context) -> Context:
    return Context(client_id=owner.client_id, role=Role.STAFF, channel=Channel.REST)


def customer_of(owner: Context) -> Context:
    return Context(client_id=owner.client_id, role=Role.CUSTOMER, channel=Channel.WHATSAPP)


def names(products: list[Product]) -> list[str]:
    return [p.name for p in products]


@contextmanager
def counting_statements(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


# --- creating and reading ---------------------------------------------------------------------


def test_a_new_product_has_its_variants_with_no_stock_and_zero_cost(db: Session, tenant_a: Context) -> None:
    created = catalog.create_product(db, tenant_a, oxford_shirt())
    db.expunge_all()
    product = catalog.get_product(db, tenant_a, created.id)
    assert product.client_id == "shop_a"
    assert [(v.sku, v.price, v.options["size"]) for v in product.variants] == [
        ("OXF-BLU-L", D("39.90"), "L"),
        ("OXF-BLU-M", D("39.90"), "M"),
    ]
    assert {(v.on_hand, v.avg_cost, v.client_id) for v in product.variants} == {(0, D(0), "shop_a")}


def test_a_product_without_variants_is_refused_asking_for_a_sku_and_price(db: Session, tenant_a: Context) -> None:
    with pytest.raises(ValidationFailed, match="at least one variant: give a SKU and a price"):
        catalog.create_product(db, tenant_a, ProductSpec("Enamel Mug"))


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (simple("  ", "MUG-WHT"), "name cannot be empty"),
        (simple("M" * 201, "MUG-WHT"), "name is too long"),
        (simple("Enamel Mug", "MUG WHT"), "SKU 'MUG WHT' is not valid"),
        (simple("Enamel Mug", "-MUG-WHT"), "is not valid"),
        (simple("Enamel Mug", "M" * 65), "is not valid"),
        (simple("Enamel Mug", "MUG-WHT", price="-1.00"), "price must be between 0"),
        (simple("Enamel Mug", "MUG-WHT", price="12.505"), "more than 2 decimal places"),
        (simple("Enamel Mug", "MUG-WHT", price="NaN"), "price must be between 0"),
        (ProductSpec("Enamel Mug", variants=[VariantSpec("MUG-WHT", 12.5)]), "not a float"),  # type: ignore[arg-type]
        (ProductSpec("Enamel Mug", variants=[VariantSpec("MUG-WHT", D(12), reorder_point=-1)]), "reorder_point"),
        (ProductSpec("Enamel Mug", variants=[VariantSpec("MUG-WHT", D(12), {"colour": "w" * 101})]), "option"),
        (ProductSpec("Enamel Mug", variants=[VariantSpec("MUG-WHT", D(12), {"size": 3})]), "must be text"),  # type: ignore[dict-item]
    ],
)
def test_an_invalid_product_is_refused_with_the_reason(
    db: Session, tenant_a: Context, spec: ProductSpec, reason: str
) -> None:
    with pytest.raises(ValidationFailed, match=reason):
        catalog.create_product(db, tenant_a, spec)


def test_prices_keep_cents_exactly(db: Session, tenant_a: Context) -> None:
    product = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT", price="12.5"))
    assert str(product.variants[0].price) == "12.50"
    db.expire_all()
    assert str(catalog.get_variant_by_sku(db, tenant_a, "MUG-WHT").price) == "12.50"


def test_several_variants_each_need_their_own_options(db: Session, tenant_a: Context) -> None:
    blue = VariantSpec("OXF-BLU-M", D("39.90"), {"colour": "blue", "size": "M"})
    with pytest.raises(ValidationFailed, match="OXF-PLAIN has none"):
        catalog.create_product(db, tenant_a, oxford_shirt(variants=[blue, VariantSpec("OXF-PLAIN", D(30))]))
    twin = VariantSpec("OXF-BLU-M2", D("39.90"), {"Size": "m", "colour": "Blue"})
    with pytest.raises(ValidationFailed, match="same options"):
        catalog.create_product(db, tenant_a, oxford_shirt(variants=[blue, twin]))


def test_the_same_sku_twice_in_one_product_is_refused(db: Session, tenant_a: Context) -> None:
    variants = [VariantSpec("OXF-BLU-M", D(39), {"size": "M"}), VariantSpec("OXF-BLU-M", D(39), {"size": "L"})]
    with pytest.raises(ValidationFailed, match="OXF-BLU-M appears more than once"):
        catalog.create_product(db, tenant_a, oxford_shirt(variants=variants))


def test_a_duplicate_sku_is_a_conflict_naming_the_sku(db: Session, tenant_a: Context) -> None:
    catalog.create_product(db, tenant_a, oxford_shirt())
    with pytest.raises(Conflict, match="SKU OXF-BLU-M is already used") as refused:
        catalog.create_product(db, tenant_a, simple("Oxford Shirt (old stock)", "OXF-BLU-M"))
    assert refused.value.details == {"skus": ["OXF-BLU-M"]}


def test_the_same_sku_in_another_shop_is_fine(db: Session, tenant_a: Context, tenant_b: Context) -> None:
    catalog.create_product(db, tenant_a, oxford_shirt())
    theirs = catalog.create_product(db, tenant_b, oxford_shirt())
    assert theirs.client_id == "shop_b"
    assert catalog.get_variant_by_sku(db, tenant_b, "OXF-BLU-M").product_id == theirs.id


def test_a_duplicate_sku_that_slips_past_the_check_is_still_a_conflict(
    db: Session, tenant_a: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    monkeypatch.setattr(catalog, "_taken_skus", lambda *args, **kwargs: [])  # as if a concurrent insert won the race
    with pytest.raises(Conflict, match="MUG-WHT"):
        catalog.create_product(db, tenant_a, simple("White Mug", "MUG-WHT"))
    # the savepoint kept the transaction usable
    assert catalog.get_variant_by_sku(db, tenant_a, "MUG-WHT").product.name == "Enamel Mug"


def test_a_variant_is_found_by_id_or_sku_with_its_product(db: Session, tenant_a: Context) -> None:
    product = catalog.create_product(db, tenant_a, oxford_shirt())
    db.expunge_all()
    by_sku = catalog.get_variant_by_sku(db, tenant_a, "OXF-BLU-L")
    assert by_sku.product.name == "Blue Oxford Shirt"
    assert catalog.get_variant(db, tenant_a, by_sku.id).product.id == product.id
    with pytest.raises(NotFound, match="no product with SKU 'OXF-RED-L'"):
        catalog.get_variant_by_sku(db, tenant_a, "OXF-RED-L")
    with pytest.raises(NotFound):
        catalog.get_variant(db, tenant_a, uuid.uuid4())


def as_values(product: Product) -> dict[str, object]:
    """What `product_values` should give for this loaded product: its columns, its variants' columns."""

    def columns(obj: object) -> dict[str, object]:
        keys = [column.key for column in obj.__table__.columns if column.key != "search_vector"]
        return {key: getattr(obj, key) for key in keys}

    return columns(product) | {"variants": [columns(v) for v in product.variants]}


def test_product_values_reads_what_get_product_loads_in_one_statement(db: Session, tenant_a: Context) -> None:
    shirt = catalog.create_product(db, tenant_a, oxford_shirt())
    inventory.receive_stock(db, tenant_a, shirt.variants[1].id, 4, D("12.25"))
    bare = catalog.create_product(db, tenant_a, simple("Gift Card", "GIFT-10"))
    catalog.update_variant(db, tenant_a, bare.variants[0].id, {"is_active": False})
    db.expunge_all()
    with counting_statements(db) as statements:
        values = catalog.product_values(db, tenant_a, shirt.id)
    assert len(statements) == 1
    assert values == as_values(catalog.get_product(db, tenant_a, shirt.id))
    assert [(v["sku"], v["on_hand"], v["avg_cost"]) for v in values["variants"]] == [
        ("OXF-BLU-L", 4, D("12.25")),
        ("OXF-BLU-M", 0, D(0)),
    ]
    customer = customer_of(tenant_a)  # the gift card's one variant is retired: the card shows, with none
    assert catalog.product_values(db, customer, bare.id) == as_values(catalog.get_product(db, customer, bare.id))
    assert catalog.product_values(db, customer, bare.id)["variants"] == []
    with pytest.raises(NotFound, match="not found"):
        catalog.product_values(db, tenant_a, uuid.uuid4())


# --- listing and search -----------------------------------------------------------------------


@pytest.fixture
def shop_a_catalog(db: Session, tenant_a: Context) -> dict[str, Product]:
    specs = [
        oxford_shirt(),
        simple("White Linen Shirt", "LINEN-WHT-M", "45.00", "Shirts", "Breathable linen for summer"),
        simple("Blue Enamel Mug", "MUG-BLU-350", "12.50", "Kitchen", "350 ml camping mug"),
        simple("Canvas Tote Bag", "TOTE-NAT", "18.00", "Bags", "Carries a blue shirt and more"),
    ]
    return {p.name: p for p in (catalog.create_product(db, tenant_a, s) for s in specs)}


def test_listing_filters_by_category_ignoring_case(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    found, total = catalog.list_products(db, tenant_a, category="shirts")
    assert (names(found), total) == (["Blue Oxford Shirt", "White Linen Shirt"], 2)


def test_low_stock_lists_products_with_a_variant_at_or_below_its_reorder_point(
    db: Session, tenant_a: Context, shop_a_catalog
) -> None:
    for product in shop_a_catalog.values():
        for variant in product.variants:
            inventory.receive_stock(db, tenant_a, variant.id, 10, D("5.00"))
    shirt = shop_a_catalog["Blue Oxford Shirt"]
    inventory.adjust_stock(db, tenant_a, shirt.variants[0].id, -7, "stock count")  # 3 left, reorder point 3
    found, total = catalog.list_products(db, tenant_a, low_stock=True)
    assert (names(found), total) == (["Blue Oxford Shirt"], 1)


def test_a_product_with_no_stock_counts_as_low_stock(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    found, total = catalog.list_products(db, tenant_a, low_stock=True)
    assert total == 4 == len(found)


def test_listing_pages_through_products_with_the_total(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    first, total = catalog.list_products(db, tenant_a, limit=3)
    second, _ = catalog.list_products(db, tenant_a, limit=3, offset=3)
    assert total == 4
    assert names(first) + names(second) == sorted(shop_a_catalog)
    with pytest.raises(ValidationFailed, match="limit"):
        catalog.list_products(db, tenant_a, limit=0)


def test_listing_twenty_products_takes_a_bounded_number_of_statements(db: Session, tenant_a: Context) -> None:
    for n in range(20):
        sizes = [VariantSpec(f"TSHIRT-{n:02}-{size}", D("15.00"), {"size": size}) for size in "SML"]
        catalog.create_product(db, tenant_a, ProductSpec(f"Graphic Tee {n:02}", category="Tees", variants=sizes))
    db.expire_all()
    with counting_statements(db) as statements:
        products, total = catalog.list_products(db, tenant_a, limit=50)
        skus = [v.sku for p in products for v in p.variants]
    assert (len(products), total, len(skus)) == (20, 20, 60)
    assert len(statements) <= 3, statements


# --- editing ----------------------------------------------------------------------------------


def test_staff_may_edit_names_prices_and_skus(db: Session, tenant_a: Context) -> None:
    staff = staff_of(tenant_a)
    product = catalog.create_product(db, staff, simple("Enamel Mug", "MUG-WHT"))
    catalog.update_product(db, staff, product.id, {"name": "White Enamel Mug", "category": "Kitchen"})
    variant = catalog.update_variant(
        db, staff, product.variants[0].id, {"price": "14.00", "sku": "MUG-WHT-350", "reorder_point": 5}
    )
    db.expire_all()
    stored = catalog.get_variant_by_sku(db, tenant_a, "MUG-WHT-350")
    assert (stored.id, stored.price, stored.reorder_point) == (variant.id, D("14.00"), 5)
    assert (stored.product.name, stored.product.category) == ("White Enamel Mug", "Kitchen")


def test_staff_may_not_delete_retire_or_restore(db: Session, tenant_a: Context) -> None:
    staff = staff_of(tenant_a)
    product = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    with pytest.raises(Forbidden, match="owner"):
        catalog.delete_product(db, staff, product.id)
    with pytest.raises(Forbidden, match="retiring or restoring a product"):
        catalog.update_product(db, staff, product.id, {"is_active": False})
    with pytest.raises(Forbidden, match="retiring or restoring a variant"):
        catalog.update_variant(db, staff, product.variants[0].id, {"is_active": False})
    assert catalog.get_product(db, tenant_a, product.id).is_active


def test_a_customer_cannot_change_the_catalog(db: Session, tenant_a: Context) -> None:
    customer = customer_of(tenant_a)
    product = catalog.create_product(db, tenant_a, oxford_shirt())
    with pytest.raises(Forbidden, match="adding a product"):
        catalog.create_product(db, customer, simple("Enamel Mug", "MUG-WHT"))
    with pytest.raises(Forbidden):
        catalog.update_variant(db, customer, product.variants[0].id, {"price": "0.01"})
    with pytest.raises(Forbidden):
        catalog.add_variant(db, customer, product.id, VariantSpec("OXF-BLU-S", D(1), {"size": "S"}))
    with pytest.raises(Forbidden):
        catalog.list_products(db, customer, include_inactive=True)
    assert catalog.get_variant(db, tenant_a, product.variants[0].id).price == D("39.90")


@pytest.mark.parametrize("field", ["on_hand", "avg_cost"])
def test_stock_and_cost_are_never_set_through_the_catalog(db: Session, tenant_a: Context, field: str) -> None:
    product = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    with pytest.raises(ValidationFailed, match=f"cannot set {field} on a variant.*inventory service"):
        catalog.update_variant(db, tenant_a, product.variants[0].id, {field: 100})
    assert (product.variants[0].on_hand, product.variants[0].avg_cost) == (0, D(0))


@pytest.mark.parametrize("field", ["client_id", "id", "search_vector", "on_hand"])
def test_a_product_refuses_fields_it_does_not_own(db: Session, tenant_a: Context, field: str) -> None:
    product = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    with pytest.raises(ValidationFailed, match=f"cannot set {field} on a product") as refused:
        catalog.update_product(db, tenant_a, product.id, {"name": "Mug", field: "shop_b"})
    assert refused.value.details == {"fields": [field]}
    assert (product.client_id, product.name) == ("shop_a", "Enamel Mug")


def test_changing_a_sku_to_one_in_use_is_a_conflict(db: Session, tenant_a: Context) -> None:
    catalog.create_product(db, tenant_a, oxford_shirt())
    medium = catalog.get_variant_by_sku(db, tenant_a, "OXF-BLU-M")
    with pytest.raises(Conflict, match="OXF-BLU-L"):
        catalog.update_variant(db, tenant_a, medium.id, {"sku": "OXF-BLU-L"})
    assert catalog.update_variant(db, tenant_a, medium.id, {"sku": "OXF-NAVY-M"}).sku == "OXF-NAVY-M"


def test_an_edit_cannot_leave_two_variants_alike(db: Session, tenant_a: Context) -> None:
    shirt = catalog.create_product(db, tenant_a, oxford_shirt())
    medium = catalog.get_variant_by_sku(db, tenant_a, "OXF-BLU-M")
    with pytest.raises(ValidationFailed, match="same options"):
        catalog.update_variant(db, tenant_a, medium.id, {"options": {"colour": "blue", "size": "L"}})
    with pytest.raises(ValidationFailed, match="has none"):
        catalog.update_variant(db, tenant_a, medium.id, {"options": {}})
    catalog.update_variant(db, tenant_a, medium.id, {"options": {"colour": "navy", "size": "M"}})
    assert {v.options["colour"] for v in catalog.get_product(db, tenant_a, shirt.id).variants} == {"blue", "navy"}


def test_a_variant_is_added_with_distinct_options_and_no_stock(db: Session, tenant_a: Context) -> None:
    shirt = catalog.create_product(db, tenant_a, oxford_shirt())
    small = catalog.add_variant(
        db, tenant_a, shirt.id, VariantSpec("OXF-BLU-S", D("37.90"), {"colour": "blue", "size": "S"})
    )
    assert (small.product_id, small.on_hand, small.avg_cost) == (shirt.id, 0, D(0))
    db.expunge_all()
    assert [v.sku for v in catalog.get_product(db, tenant_a, shirt.id).variants] == [
        "OXF-BLU-L",
        "OXF-BLU-M",
        "OXF-BLU-S",
    ]
    with pytest.raises(Conflict, match="OXF-BLU-S"):
        catalog.add_variant(db, tenant_a, shirt.id, VariantSpec("OXF-BLU-S", D(1), {"size": "XS"}))


def test_a_product_without_options_needs_them_before_a_second_variant(db: Session, tenant_a: Context) -> None:
    mug = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    with pytest.raises(ValidationFailed, match="MUG-WHT has none"):
        catalog.add_variant(db, tenant_a, mug.id, VariantSpec("MUG-BLK", D("12.50"), {"colour": "black"}))
    catalog.update_variant(db, tenant_a, mug.variants[0].id, {"options": {"colour": "white"}})
    black = catalog.add_variant(db, tenant_a, mug.id, VariantSpec("MUG-BLK", D("12.50"), {"colour": "black"}))
    assert black.options == {"colour": "black"}


# --- deleting ---------------------------------------------------------------------------------


def test_a_deleted_product_is_retired_with_its_variants_and_leaves_default_listings(
    db: Session, tenant_a: Context, shop_a_catalog
) -> None:
    shirt = shop_a_catalog["Blue Oxford Shirt"]
    catalog.delete_product(db, tenant_a, shirt.id)
    db.expire_all()
    kept = catalog.get_product(db, tenant_a, shirt.id)  # the row stays for order lines
    assert (kept.is_active, {v.is_active for v in kept.variants}) == (False, {False})
    assert "Blue Oxford Shirt" not in names(catalog.list_products(db, tenant_a)[0])
    assert "Blue Oxford Shirt" in names(catalog.list_products(db, tenant_a, include_inactive=True)[0])
    assert search.search_variants(db, tenant_a, "OXF-BLU-M") == []


def test_customers_do_not_see_retired_products_or_variants(db: Session, tenant_a: Context, shop_a_catalog) -> None:
    shirt = shop_a_catalog["Blue Oxford Shirt"]
    customer = customer_of(tenant_a)
    catalog.update_variant(db, tenant_a, catalog.get_variant_by_sku(db, tenant_a, "OXF-BLU-L").id, {"is_active": False})
    db.expunge_all()
    assert [v.sku for v in catalog.get_product(db, customer, shirt.id).variants] == ["OXF-BLU-M"]
    assert [v["sku"] for v in catalog.product_values(db, customer, shirt.id)["variants"]] == ["OXF-BLU-M"]
    with pytest.raises(NotFound):
        catalog.get_variant_by_sku(db, customer, "OXF-BLU-L")
    listed = search.search_products(db, customer, "oxford").products
    assert [v.sku for p in listed for v in p.variants] == ["OXF-BLU-M"]
    catalog.delete_product(db, tenant_a, shirt.id)
    with pytest.raises(NotFound):
        catalog.get_product(db, customer, shirt.id)
    with pytest.raises(NotFound):
        catalog.product_values(db, customer, shirt.id)
    with pytest.raises(NotFound):
        catalog.get_variant_by_sku(db, customer, "OXF-BLU-M")


def test_an_owner_restores_a_retired_product_and_variant(db: Session, tenant_a: Context) -> None:
    mug = catalog.create_product(db, tenant_a, simple("Enamel Mug", "MUG-WHT"))
    catalog.delete_product(db, tenant_a, mug.id)
    catalog.update_product(db, tenant_a, mug.id, {"is_active": True})
    catalog.update_variant(db, tenant_a, mug.variants[0].id, {"is_active": True})
    assert [v.sku for v in search.search_variants(db, tenant_a, "enamel")] == ["MUG-WHT"]


# --- tenants ----------------------------------------------------------------------------------


def test_another_shop_cannot_see_or_change_a_product(db: Session, tenant_a: Context, tenant_b: Context) -> None:
    shirt = catalog.create_product(db, tenant_a, oxford_shirt())
    variant_id = shirt.variants[0].id
    for attempt in (
        lambda: catalog.get_product(db, tenant_b, shirt.id),
        lambda: catalog.product_values(db, tenant_b, shirt.id),
        lambda: catalog.get_variant(db, tenant_b, variant_id),
        lambda: catalog.get_variant_by_sku(db, tenant_b, "OXF-BLU-M"),
        lambda: catalog.update_product(db, tenant_b, shirt.id, {"name": "Stolen Shirt"}),
        lambda: catalog.update_variant(db, tenant_b, variant_id, {"price": "0.00"}),
        lambda: catalog.add_variant(db, tenant_b, shirt.id, VariantSpec("OXF-BLU-S", D(1), {"size": "S"})),
        lambda: catalog.delete_product(db, tenant_b, shirt.id),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert search.search_products(db, tenant_b, "oxford").total == 0
    assert search.search_variants(db, tenant_b, "OXF-BLU-M") == []
    mine = catalog.get_product(db, tenant_a, shirt.id)
    assert (mine.name, mine.is_active, mine.variants[0].price) == ("Blue Oxford Shirt", True, D("39.90"))
