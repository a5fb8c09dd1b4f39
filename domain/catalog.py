"""The catalog: products and their variants (the SKUs), listing, and who may change what.

Search (full text, SKUs, typos, photos) lives in `domain.search`.

Who may do what:
- owners and staff both edit the catalog: names, descriptions, categories, prices, options,
  reorder points and SKUs, and they add products and variants;
- retiring or restoring a product or a variant (`is_active`, `delete_product`) is the owner's call;
- customers only read active products and variants.

Stock and cost are never set here: a new variant starts with 0 on hand at 0 average cost, and
only the inventory service (receipts, adjustments) changes them. Products are never deleted,
only retired, because order lines and stock movements refer to their variants.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ColumnProperty, Load, Session, contains_eager, joinedload, selectinload

from domain import audit
from domain.context import Context, scoped
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models import Product, Role, Variant
from domain.money import CENT

SKU_CONSTRAINT = "uq_variants_client_id_sku"
MAX_SKU_LENGTH = 64
SKU_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_SKU_LENGTH - 1}}}")
MAX_NAME = 200
MAX_CATEGORY = 100
MAX_DESCRIPTION = 5000
MAX_OPTIONS = 10
MAX_OPTION_NAME = 40
MAX_OPTION_VALUE = 100
MAX_REORDER_POINT = 1_000_000
MAX_PRICE = Decimal("999999999999.99")
MAX_PAGE = 200

_STOCK_FIELDS = frozenset({"on_hand", "avg_cost"})


@dataclass(frozen=True)
class VariantSpec:
    """A new stock-keeping unit: its SKU, price (Decimal, at most 2 places), options and reorder point."""

    sku: str
    price: Decimal
    options: dict[str, str] = field(default_factory=dict)
    reorder_point: int = 0


@dataclass(frozen=True)
class ProductSpec:
    """A new product. A product without options has exactly one variant."""

    name: str
    description: str = ""
    category: str = "general"
    variants: list[VariantSpec] = field(default_factory=list)


# --- validation -------------------------------------------------------------------------------


def _text(value: object, what: str, max_length: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"{what} must be text", field=what)
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationFailed(f"{what} cannot be empty", field=what)
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{what} is too long: at most {max_length} characters", field=what)
    return cleaned


def _price(value: object) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise ValidationFailed("give the price as a Decimal or a string like '12.50', not a float", field="price")
    try:
        price = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationFailed(f"price {value!r} is not a number", field="price") from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise ValidationFailed(f"price must be between 0 and {MAX_PRICE}", field="price")
    if price != price.quantize(CENT):
        raise ValidationFailed(f"price {price} has more than 2 decimal places", field="price")
    return price.quantize(CENT)


def _sku(value: object) -> str:
    sku = value.strip() if isinstance(value, str) else ""
    if not SKU_PATTERN.fullmatch(sku):
        raise ValidationFailed(
            f"SKU {value!r} is not valid: use 1–64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (e.g. TSHIRT-BLU-M)",
            field="sku",
        )
    return sku


def _reorder_point(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REORDER_POINT:
        raise ValidationFailed(
            f"reorder_point must be a whole number from 0 to {MAX_REORDER_POINT}", field="reorder_point"
        )
    return value


def _is_active(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed("is_active must be true or false", field="is_active")
    return value


def _options(value: object) -> dict[str, str]:
    example = "e.g. {'size': 'M', 'colour': 'blue'}"
    if not isinstance(value, dict) or len(value) > MAX_OPTIONS:
        raise ValidationFailed(f"options must be a mapping of at most {MAX_OPTIONS} names to values, {example}")
    cleaned: dict[str, str] = {}
    for name, choice in value.items():
        if not (isinstance(name, str) and isinstance(choice, str)):
            raise ValidationFailed(f"option names and values must be text, {example}", field="options")
        key, text = name.strip(), choice.strip()
        if not (0 < len(key) <= MAX_OPTION_NAME and 0 < len(text) <= MAX_OPTION_VALUE) or key in cleaned:
            raise ValidationFailed(
                f"option {name!r}: names need 1–{MAX_OPTION_NAME} characters, values 1–{MAX_OPTION_VALUE}, "
                "and each name appears once",
                field="options",
            )
        cleaned[key] = text
    return cleaned


def _valid_variant(spec: VariantSpec) -> VariantSpec:
    return VariantSpec(_sku(spec.sku), _price(spec.price), _options(spec.options), _reorder_point(spec.reorder_point))


def _check_variant_set(active: Iterable[tuple[str, dict[str, str]]]) -> None:
    """A product's active variants: one without options, or several each with distinct options."""
    variants = list(active)
    if len(variants) < 2:
        return
    bare = [sku for sku, options in variants if not options]
    if bare:
        raise ValidationFailed(
            f"a product with several variants needs options (such as size or colour) on each; "
            f"{', '.join(bare)} has none"
        )
    seen: dict[frozenset[tuple[str, str]], str] = {}
    for sku, options in variants:
        key = frozenset((name.lower(), value.lower()) for name, value in options.items())
        if key in seen:
            raise ValidationFailed(f"{seen[key]} and {sku} have the same options {options}; make them differ")
        seen[key] = sku


_PRODUCT_VALIDATORS: dict[str, Callable[[object], Any]] = {
    "name": partial(_text, what="name", max_length=MAX_NAME),
    "description": partial(_text, what="description", max_length=MAX_DESCRIPTION, required=False),
    "category": partial(_text, what="category", max_length=MAX_CATEGORY),
    "is_active": _is_active,
}
_VARIANT_VALIDATORS: dict[str, Callable[[object], Any]] = {
    "sku": _sku,
    "price": _price,
    "options": _options,
    "reorder_point": _reorder_point,
    "is_active": _is_active,
}


def _refuse_unknown_fields(changes: Mapping[str, object], allowed: frozenset[str], thing: str) -> None:
    unknown = sorted(set(map(str, changes)) - allowed)
    if unknown:
        hint = (
            "; stock and cost change only through the inventory service (receipts and adjustments)"
            if _STOCK_FIELDS.intersection(unknown)
            else ""
        )
        raise ValidationFailed(
            f"cannot set {', '.join(unknown)} on a {thing}; the editable fields are {', '.join(sorted(allowed))}{hint}",
            fields=unknown,
        )


# --- SKU uniqueness ---------------------------------------------------------------------------


def _taken_skus(session: Session, ctx: Context, skus: Iterable[str], *, exclude: uuid.UUID | None = None) -> list[str]:
    query = select(Variant.sku).where(Variant.client_id == ctx.client_id, Variant.sku.in_(list(skus)))
    if exclude is not None:
        query = query.where(Variant.id != exclude)
    return list(session.scalars(query.order_by(Variant.sku)))


def _sku_conflict(taken: list[str]) -> Conflict:
    return Conflict(
        f"SKU {', '.join(taken)} is already used in this shop; choose another SKU or edit the existing variant",
        skus=taken,
    )


def _refuse_taken_skus(session: Session, ctx: Context, skus: list[str], *, exclude: uuid.UUID | None = None) -> None:
    taken = _taken_skus(session, ctx, skus, exclude=exclude)
    if taken:
        raise _sku_conflict(taken)


@contextmanager
def _sku_guard(session: Session, ctx: Context, skus: list[str]) -> Iterator[None]:
    """Apply and flush a change in a savepoint; a SKU inserted concurrently becomes a Conflict."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) != SKU_CONSTRAINT:
            raise
        raise _sku_conflict(_taken_skus(session, ctx, skus) or skus) from None


# --- queries ----------------------------------------------------------------------------------


_PRODUCT_COLUMNS, _VARIANT_COLUMNS = Product.__table__.c, Variant.__table__.c


def _shown_products(ctx: Context) -> list[ColumnElement[bool]]:
    """Which products `ctx` sees: the client's own; customers only the active ones."""
    shown = [_PRODUCT_COLUMNS.client_id == ctx.client_id]
    if not ctx.is_staff_or_owner:
        shown.append(_PRODUCT_COLUMNS.is_active.is_(True))
    return shown


def _products(ctx: Context) -> Select[tuple[Product]]:
    return select(Product).where(*_shown_products(ctx))


VISIBLE_VARIANT = Variant.is_active.is_(True)
"""Which variants customers see (owners and staff see all)."""


def with_variants(ctx: Context, *, joined: bool = False) -> Load:
    """Eager-load a product's variants (`joined`: in the product's own query, one round trip, for
    a single product; else one more query for the whole page); customers get only the active ones."""
    load = joinedload if joined else selectinload
    if ctx.is_staff_or_owner:
        return load(Product.variants)
    return load(Product.variants.and_(VISIBLE_VARIANT))


SELLABLE = (Variant.__table__.c.is_active.is_(True), Product.__table__.c.is_active.is_(True))
"""What makes a variant of a client sellable (with its product joined): it and its product are
active. Table columns, so a Core statement using them stays a Core statement."""


def sellable_variants(ctx: Context) -> Select[tuple[Variant]]:
    """Active variants of active products of this client, each with its product loaded."""
    return (
        select(Variant)
        .join(Variant.product)
        .options(contains_eager(Variant.product))
        .where(Variant.client_id == ctx.client_id, *SELLABLE)
    )


def visible_variants(ctx: Context) -> Select[tuple[Variant]]:
    """This client's variants with their products; customers only see active ones."""
    query = (
        select(Variant)
        .join(Variant.product)
        .options(contains_eager(Variant.product))
        .where(Variant.client_id == ctx.client_id)
    )
    if not ctx.is_staff_or_owner:
        query = query.where(Variant.is_active.is_(True), Product.is_active.is_(True))
    return query


# --- reads ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _one_product(ctx: Context) -> Select[tuple[Product]]:
    """The query `get_product` runs for this caller (the product id a parameter): built once, as
    every product page reads it."""
    return _products(ctx).where(Product.id == bindparam("product")).options(with_variants(ctx, joined=True))


def get_product(session: Session, ctx: Context, product_id: uuid.UUID) -> Product:
    """One product with its variants; customers only see active products and variants."""
    product = scoped(session, ctx).scalars(_one_product(ctx), {"product": product_id}).unique().first()
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def product_values(session: Session, ctx: Context, product_id: uuid.UUID) -> dict[str, Any]:
    """`get_product` for a caller that only reads it: the product's loaded columns by attribute,
    and `variants` (by SKU) likewise, from one Core statement, with no ORM objects built (a
    product page's GET spent more on them than on the rest of its transaction)."""
    rows = scoped(session, ctx).execute(_product_values_query(ctx), {"product": product_id}).all()
    if not rows:
        raise NotFound(f"product {product_id} not found")
    product, variant = _VALUE_COLUMNS
    variants = [row for row in rows if row[variant["id"]] is not None]  # outer join: none is a NULL row
    return {key: rows[0][at] for key, at in product.items()} | {
        "variants": [{key: row[at] for key, at in variant.items()} for row in variants]
    }


def _loaded(model: type[Product] | type[Variant]) -> list[ColumnProperty[Any]]:
    """The columns an ORM load of `model` reads (not the deferred ones)."""
    return [column for column in inspect(model).column_attrs if not column.deferred]


_VALUE_COLUMNS = (
    {column.key: n for n, column in enumerate(_loaded(Product))},
    {column.key: n + len(_loaded(Product)) for n, column in enumerate(_loaded(Variant))},
)
"""Where `_product_values_query`'s row holds each attribute of the product and of the variant."""


@functools.lru_cache(maxsize=1024)
def _product_values_query(ctx: Context) -> Select[Any]:
    """`product_values`' statement for this caller, a Core one (table columns): the product's
    columns and each visible variant's (NULLs when it has none)."""
    on = _VARIANT_COLUMNS.product_id == _PRODUCT_COLUMNS.id
    if not ctx.is_staff_or_owner:
        on &= VISIBLE_VARIANT
    columns = [column.columns[0] for model in (Product, Variant) for column in _loaded(model)]
    return (
        select(*columns)
        .select_from(Product.__table__.outerjoin(Variant.__table__, on))
        .where(*_shown_products(ctx), _PRODUCT_COLUMNS.id == bindparam("product"))
        .order_by(_VARIANT_COLUMNS.sku)
    )


def get_variant(session: Session, ctx: Context, variant_id: uuid.UUID) -> Variant:
    """One variant with its product; customers only see active ones."""
    variant = scoped(session, ctx).scalars(visible_variants(ctx).where(Variant.id == variant_id)).first()
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    return variant


def get_variant_by_sku(session: Session, ctx: Context, sku: str) -> Variant:
    """The variant with exactly this SKU (case-sensitive), with its product."""
    variant = scoped(session, ctx).scalars(visible_variants(ctx).where(Variant.sku == sku)).first()
    if variant is None:
        raise NotFound(f"no product with SKU {sku!r}; search by name to find its SKU")
    return variant


def product_listing(
    ctx: Context, *, category: str | None = None, low_stock: bool = False, include_inactive: bool = False
) -> Select[tuple[Product]]:
    """This client's products under the listing filters: `category` matches case-insensitively;
    `low_stock` keeps products with an active variant at or below its reorder point. Retired
    products are listed only on request, and only to owners and staff."""
    if include_inactive:
        ctx.require_staff(action="listing retired products")
    query = select(Product).where(Product.client_id == ctx.client_id)
    if not include_inactive:
        query = query.where(Product.is_active.is_(True))
    if category and category.strip():
        query = query.where(func.lower(Product.category) == category.strip().lower())
    if low_stock:
        query = query.where(
            select(Variant.id)
            .where(
                Variant.client_id == ctx.client_id,
                Variant.product_id == Product.id,
                Variant.is_active.is_(True),
                Variant.on_hand <= Variant.reorder_point,
            )
            .exists()
        )
    return query


def check_page(limit: int, offset: int) -> None:
    """Refuse a page outside 1–MAX_PAGE items or before the first."""
    if not (1 <= limit <= MAX_PAGE and offset >= 0):
        raise ValidationFailed(f"limit must be 1–{MAX_PAGE} and offset 0 or more")


def list_products(
    session: Session,
    ctx: Context,
    *,
    category: str | None = None,
    low_stock: bool = False,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Product], int]:
    """A page of products by name with their variants, and the total (filters: `product_listing`;
    to search by words, SKU or photo use `domain.search`). Three statements whatever the page size."""
    check_page(limit, offset)
    query = product_listing(ctx, category=category, low_stock=low_stock, include_inactive=include_inactive)
    scoped(session, ctx)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Product.name, Product.id).limit(limit).offset(offset).options(with_variants(ctx))
    )
    return list(items), total


# --- changes ----------------------------------------------------------------------------------


def create_product(session: Session, ctx: Context, spec: ProductSpec) -> Product:
    """Add a product and its variants (owner or staff). Each variant starts with no stock at zero cost."""
    ctx.require_staff(action="adding a product")
    name = _text(spec.name, "name", MAX_NAME)
    description = _text(spec.description, "description", MAX_DESCRIPTION, required=False)
    category = _text(spec.category, "category", MAX_CATEGORY)
    if not spec.variants:
        raise ValidationFailed("a product needs at least one variant: give a SKU and a price, e.g. MUG-WHT at 12.50")
    variants = [_valid_variant(v) for v in spec.variants]
    skus = [v.sku for v in variants]
    repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
    if repeated:
        raise ValidationFailed(f"SKU {', '.join(repeated)} appears more than once in this product", skus=repeated)
    _check_variant_set((v.sku, v.options) for v in variants)
    _refuse_taken_skus(scoped(session, ctx), ctx, skus)
    product = Product(
        client_id=ctx.client_id,
        name=name,
        description=description,
        category=category,
        variants=[_new_variant(ctx, v) for v in variants],
    )
    with _sku_guard(session, ctx, skus):
        session.add(product)
    return product


def _new_variant(ctx: Context, spec: VariantSpec) -> Variant:
    """A validated spec as a new SKU: stock and cost start at zero (only inventory changes them)."""
    return Variant(
        client_id=ctx.client_id,
        sku=spec.sku,
        price=spec.price,
        options=spec.options,
        reorder_point=spec.reorder_point,
        on_hand=0,
        avg_cost=Decimal(0),
    )


def add_variant(session: Session, ctx: Context, product_id: uuid.UUID, spec: VariantSpec) -> Variant:
    """Add a variant to a product (owner or staff); with several variants, each needs distinct options."""
    ctx.require_staff(action="adding a variant")
    clean = _valid_variant(spec)
    product = get_product(session, ctx, product_id)
    _check_variant_set([(v.sku, v.options) for v in product.variants if v.is_active] + [(clean.sku, clean.options)])
    _refuse_taken_skus(session, ctx, [clean.sku])
    variant = _new_variant(ctx, clean)
    with _sku_guard(session, ctx, [clean.sku]):
        product.variants.append(variant)
    return variant


def update_product(session: Session, ctx: Context, product_id: uuid.UUID, changes: Mapping[str, object]) -> Product:
    """Change a product's name, description, category or is_active.

    Owners and staff may edit; only the owner may retire or restore (is_active). Restoring a
    product leaves its variants as they are (restore them with `update_variant`).
    """
    _refuse_unknown_fields(changes, frozenset(_PRODUCT_VALIDATORS), "product")
    ctx.require_staff(action="editing a product")
    if "is_active" in changes:
        ctx.require(Role.OWNER, action="retiring or restoring a product")
    values = {key: _PRODUCT_VALIDATORS[key](value) for key, value in changes.items()}
    product = get_product(session, ctx, product_id)
    was_active = product.is_active
    for key, value in values.items():
        setattr(product, key, value)
    session.flush()
    _audit_retirement(session, ctx, ("product", product.id), product.name, was_active, product.is_active)
    return product


def _audit_retirement(
    session: Session, ctx: Context, target: tuple[str, uuid.UUID], name: str, before: bool, after: bool
) -> None:
    """Audit retiring or restoring a product or variant (nothing when is_active did not change)."""
    if before != after:
        action = audit.Action.PRODUCT_RESTORED if after else audit.Action.PRODUCT_RETIRED
        detail = {"name": name, "before": {"is_active": before}, "after": {"is_active": after}}
        audit.record(session, ctx, action, target=target, detail=detail)


def update_variant(session: Session, ctx: Context, variant_id: uuid.UUID, changes: Mapping[str, object]) -> Variant:
    """Change a variant's SKU, price, options, reorder point or is_active.

    Owners and staff may edit (prices included); only the owner may retire or restore a variant.
    On-hand stock and average cost are never set here.
    """
    _refuse_unknown_fields(changes, frozenset(_VARIANT_VALIDATORS), "variant")
    ctx.require_staff(action="editing a variant")
    if "is_active" in changes:
        ctx.require(Role.OWNER, action="retiring or restoring a variant")
    values = {key: _VARIANT_VALIDATORS[key](value) for key, value in changes.items()}
    variant = get_variant(session, ctx, variant_id)
    siblings = get_product(session, ctx, variant.product_id).variants
    sku = values.get("sku", variant.sku)
    if sku != variant.sku:
        _refuse_taken_skus(session, ctx, [sku], exclude=variant.id)
    active = [(v.sku, v.options) for v in siblings if v.is_active and v is not variant]
    if values.get("is_active", variant.is_active):
        active.append((sku, values.get("options", variant.options)))
    _check_variant_set(active)
    before_price, was_active = variant.price, variant.is_active
    with _sku_guard(session, ctx, [sku]):
        for key, value in values.items():
            setattr(variant, key, value)
    if variant.price != before_price:
        audit.record(
            session,
            ctx,
            audit.Action.PRICE_CHANGED,
            target=("variant", variant.id),
            detail={"sku": variant.sku, "before": {"price": str(before_price)}, "after": {"price": str(variant.price)}},
        )
    _audit_retirement(session, ctx, ("variant", variant.id), variant.sku, was_active, variant.is_active)
    return variant


def delete_product(session: Session, ctx: Context, product_id: uuid.UUID) -> Product:
    """Retire a product and all its variants (owner only). The rows stay, because order lines
    and stock movements refer to the variants; retired products leave listings and search."""
    ctx.require(Role.OWNER, action="deleting a product")
    product = get_product(session, ctx, product_id)
    was_active = product.is_active
    product.is_active = False
    for variant in product.variants:
        variant.is_active = False
    session.flush()
    _audit_retirement(session, ctx, ("product", product.id), product.name, was_active, product.is_active)
    return product
