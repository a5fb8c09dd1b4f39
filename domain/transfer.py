"""Bringing a shop's data in and taking it out, as rows (the CLI reads and writes the CSV files).

Every import is idempotent (a row already there changes nothing) and all or nothing per file: every
bad row is reported with its file, line and reason, and a file with any bad row imports nothing.
Rows go through the same services as REST, so every rule (SKU uniqueness, E.164 phones, password
length, policy ranges) holds.

Header names are matched case-insensitively with spaces as underscores, and each column accepts
the common names listed in `ALIASES` (the earlier CSV version's `products.csv`, `users.csv` and
`clients.csv` headers included).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain import auth, catalog, customers, inventory, orders, returns, tenancy
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context, scoped
from domain.errors import DomainError, ValidationFailed
from domain.models import Customer, Order, OrderStatus, PaymentMethod, PaymentStatus, Product, Role, User, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.returns import ReturnItem

Row = dict[str, str]
T = TypeVar("T")
ALIASES: dict[str, tuple[str, ...]] = {
    "product_name": ("product_name", "product", "name", "item", "item_name"),
    "category": ("category", "type"),
    "description": ("description", "details"),
    "sku": ("sku", "code", "product_code", "item_code", "product_id"),
    "price": ("price", "selling_price", "unit_price", "sale_price"),
    "options": ("options", "variant"),
    "reorder_point": ("reorder_point", "reorder_level", "min_stock"),
    "opening_stock": ("opening_stock", "stock", "quantity", "qty", "on_hand"),
    "unit_cost": ("unit_cost", "cost", "cost_price", "purchase_price"),
    "name": ("name", "customer", "customer_name", "full_name"),
    "phone": ("phone", "phone_number", "mobile", "telephone"),
    "email": ("email", "e_mail", "email_address"),
    "wa_id": ("wa_id", "whatsapp", "whatsapp_id"),
    "tags": ("tags", "labels"),
    "notes": ("notes", "note", "comments"),
    "marketing_opt_out": ("marketing_opt_out", "opt_out", "unsubscribed"),
    "line1": ("line1", "address", "address_line1", "street"),
    "line2": ("line2", "address_line2"),
    "city": ("city", "town"),
    "region": ("region", "state", "province"),
    "postcode": ("postcode", "postal_code", "zip"),
    "country": ("country", "country_code"),
    "username": ("username", "user", "login"),
    "password": ("password", "pass"),
    "role": ("role",),
    "client_id": ("client_id", "client", "shop_id"),
    "number": ("number", "order_number", "order_no", "order", "invoice", "sale_id"),
    "created_at": ("created_at", "date", "order_date", "sold_at", "timestamp"),
    "status": ("status", "order_status"),
    "customer_phone": ("customer_phone", "phone"),
    "payment_method": ("payment_method", "payment", "paid_by"),
    "payment_status": ("payment_status", "paid"),
    "discount_pct": ("discount_pct", "discount", "discount_percent"),
    "quantity": ("quantity", "qty", "units"),
    "unit_price": ("unit_price", "price", "selling_price", "sale_price"),
    "returned_quantity": ("returned_quantity", "returned"),
}
PROFILE_COLUMNS = tuple(sorted(tenancy.PROFILE_FIELDS | tenancy.POLICY_FIELDS - {"name"}))
"""clients.csv columns (the seed's business_overview, opening_hours, ... plus the newer fields)."""
ADDRESS_COLUMNS = ("line1", "line2", "city", "region", "postcode", "country")
TRUE_WORDS = frozenset({"1", "true", "yes", "y"})


@dataclass(frozen=True)
class RowError:
    """A row that was refused: where it is and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    """What one file did: rows created, rows already there, refused rows (then nothing was imported)."""

    file: str
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Rejected(Exception):
    """Raised inside a file's savepoint to undo it when any row was refused."""


def canonical(row: Row) -> Row:
    """`row` keyed by the canonical column names (`ALIASES`), values stripped."""
    plain = {key.strip().lower().replace(" ", "_"): (value or "").strip() for key, value in row.items() if key}
    out: Row = {}
    for name, aliases in ALIASES.items():
        value = next((plain[alias] for alias in aliases if alias in plain), None)
        if value is not None:
            out[name] = value
    return out | {key: value for key, value in plain.items() if key in PROFILE_COLUMNS}


def _import(
    session: Session,
    file: str,
    rows: Iterable[tuple[int, T]],
    apply_row: Callable[[T, FileReport], bool],
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Apply each row (or group of rows) in its own savepoint, inside one savepoint for the file
    (undone on any error). `apply_row` returns True when it created something, False when the row
    was already there.
    """
    report = FileReport(file)
    try:
        with session.begin_nested():
            for line, raw in rows:
                try:
                    with session.begin_nested():
                        created = apply_row(raw, report)
                except DomainError as exc:
                    report.errors.append(RowError(file, line, exc.message))
                else:
                    report.created, report.unchanged = report.created + created, report.unchanged + (not created)
                if progress:
                    progress(1)
            if report.errors:
                raise _Rejected
    except _Rejected:
        report.created = report.unchanged = 0
        report.notes.clear()
    return report


def _canonical_rows(rows: Iterable[tuple[int, Row]]) -> Iterator[tuple[int, Row]]:
    return ((line, canonical(row)) for line, row in rows)


def _decimal(row: Row, key: str, default: str | None = None) -> Decimal:
    text = row.get(key) or default
    if text is None:
        raise ValidationFailed(f"{key} is missing")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed(f"{key} {text!r} is not a number") from None


def _whole(row: Row, key: str, default: int = 0) -> int:
    text = row.get(key)
    if not text:
        return default
    if not text.isdigit():
        raise ValidationFailed(f"{key} {text!r} is not a whole number of 0 or more")
    return int(text)


def _options(text: str) -> dict[str, str]:
    """`size=M; colour=blue` as a mapping."""
    pairs = [part.split("=", 1) for part in text.split(";") if part.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValidationFailed(f"options {text!r} are not name=value pairs separated by ';'")
    return {name.strip(): value.strip() for name, value in pairs}


def import_products(
    session: Session, ctx: Context, rows: Iterable[tuple[int, Row]], progress: Callable[[int], None] | None = None
) -> FileReport:
    """products.csv: one row per SKU (rows sharing a product name are its variants). A new SKU is
    created with its opening stock received at `unit_cost`; a SKU already there is left as it is."""

    def apply_row(row: Row, report: FileReport) -> bool:
        sku = row.get("sku", "")
        if scoped(session, ctx).scalar(
            select(Variant.id).where(Variant.client_id == ctx.client_id, Variant.sku == sku)
        ):
            return False
        spec = VariantSpec(
            sku=sku,
            price=_decimal(row, "price"),
            options=_options(row.get("options", "")),
            reorder_point=_whole(row, "reorder_point"),
        )
        name = row.get("product_name", "")
        product = session.scalars(
            select(Product)
            .where(Product.client_id == ctx.client_id, Product.name == name)
            .options(selectinload(Product.variants))
        ).first()
        if product is None:
            product = catalog.create_product(
                session,
                ctx,
                ProductSpec(
                    name=name,
                    description=row.get("description", ""),
                    category=row.get("category") or "general",
                    variants=[spec],
                ),
            )
            session.flush()
            variant = product.variants[0]
        else:
            variant = catalog.add_variant(session, ctx, product.id, spec)
        stock = _whole(row, "opening_stock")
        if stock:
            inventory.receive_stock(session, ctx, variant.id, stock, _decimal(row, "unit_cost"), reason="import")
        return True

    return _import(session, "products.csv", _canonical_rows(rows), apply_row, progress)


def import_customers(
    session: Session, ctx: Context, rows: Iterable[tuple[int, Row]], progress: Callable[[int], None] | None = None
) -> FileReport:
    """customers.csv: a customer whose phone (E.164), WhatsApp id or e-mail is already on file is
    left as it is; a new one is created with the row's address as the default."""

    def apply_row(row: Row, report: FileReport) -> bool:
        phone = row.get("phone") or None
        known = []
        if phone:
            known.append(Customer.phone == customers.e164(session, ctx, phone))
        if row.get("wa_id"):
            known.append(Customer.wa_id == row["wa_id"])
        if row.get("email"):
            known.append(Customer.email == row["email"].lower())
        for condition in known:
            query = select(Customer.id).where(Customer.client_id == ctx.client_id, Customer.deleted_at.is_(None))
            if session.scalar(query.where(condition)):
                return False
        address = [
            customers.AddressDraft(
                **{k: row.get(k, "") for k in ("line1", "line2", "city", "region", "postcode", "country")}
            )
        ]
        customers.create_customer(
            session,
            ctx,
            customers.CustomerDraft(
                name=row.get("name", ""),
                phone=phone,
                email=row.get("email") or None,
                wa_id=row.get("wa_id") or None,
                notes=row.get("notes", ""),
                tags=[tag for tag in row.get("tags", "").split(";") if tag.strip()],
                marketing_opt_out=row.get("marketing_opt_out", "").lower() in TRUE_WORDS,
                addresses=address if row.get("line1") else [],
            ),
        )
        return True

    return _import(session, "customers.csv", _canonical_rows(rows), apply_row, progress)


def import_users(
    session: Session, ctx: Context, rows: Iterable[tuple[int, Row]], progress: Callable[[int], None] | None = None
) -> FileReport:
    """users.csv (client_id, username, password, role): rows of other shops are skipped; a user already
    there is left as it is; one whose password is too short is created disabled with a random
    password, to be reset by an owner (reported as a note)."""

    def apply_row(row: Row, report: FileReport) -> bool:
        if row.get("client_id") not in (None, "", ctx.client_id):
            return False
        username, password = row.get("username", ""), row.get("password", "")
        if session.scalar(select(User.id).where(User.client_id == ctx.client_id, User.username == username)):
            return False
        try:
            role = Role(row.get("role", "staff").lower() or "staff")
        except ValueError:
            raise ValidationFailed(f"role {row.get('role')!r} is not owner or staff") from None
        too_short = len(password) < auth.MIN_PASSWORD_LENGTH
        user = auth.create_user(session, ctx, username, secrets.token_urlsafe(24) if too_short else password, role)
        if too_short:
            auth.set_user_active(session, ctx, user.id, active=False)
            report.notes.append(f"{username}: password shorter than {auth.MIN_PASSWORD_LENGTH}; disabled until reset")
        return True

    return _import(session, "users.csv", _canonical_rows(rows), apply_row, progress)


def _profile_value(key: str, text: str) -> object:
    if key in ("opening_hours", "closing_hours"):
        try:
            return time.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(f"{key} {text!r} is not a time like 09:00") from None
    if key.endswith("_pct"):
        return _decimal({key: text}, key)
    if key in ("return_window_days", "daily_adjustment_approval_units"):
        return _whole({key: text}, key)
    if key == "required_api_keys":
        return [name.strip() for name in text.replace(";", ",").split(",") if name.strip()]
    return text


def import_profile(
    session: Session, ctx: Context, rows: Iterable[tuple[int, Row]], progress: Callable[[int], None] | None = None
) -> FileReport:
    """clients.csv: this shop's row (by client_id, or the only row) sets the profile's non-empty
    columns; a row that changes nothing counts as unchanged."""

    def apply_row(row: Row, report: FileReport) -> bool:
        if row.get("client_id") not in (None, "", ctx.client_id):
            return False
        changes = {key: _profile_value(key, row[key]) for key in PROFILE_COLUMNS if row.get(key)}
        client = tenancy.get_client(scoped(session, ctx), ctx.client_id)
        if all(getattr(client, key) == value for key, value in changes.items()):
            return False
        tenancy.update_client(session, ctx, changes)
        return True

    return _import(session, "clients.csv", _canonical_rows(rows), apply_row, progress)


HISTORY_LEAD = timedelta(minutes=1)
"""How long before an imported order its units are received, and after it it is cancelled or returned."""
IMPORTED_STATUSES = {
    "pending": OrderStatus.PENDING,
    "confirmed": OrderStatus.CONFIRMED,
    "delivered": OrderStatus.DELIVERED,
    "partially_returned": OrderStatus.DELIVERED,
    "returned": OrderStatus.DELIVERED,
    "cancelled": OrderStatus.CANCELLED,
}
PAID_WORDS = TRUE_WORDS | {"paid", "refunded", "partially_refunded"}


def _moment(text: str, zone: ZoneInfo) -> datetime:
    """An order's time: ISO date-time (naive ones in the shop's zone) or a date (noon there); never in the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"created_at {text!r} is not a date (2026-03-31 or 2026-03-31T14:05:00+01:00)") from None
    if len(text) <= len("2026-03-31"):
        moment = moment.replace(hour=12)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    if moment > utcnow():
        raise ValidationFailed(f"created_at {text} is in the future; only past orders are imported")
    return moment


def _choice(row: Row, key: str, choices: dict[str, T], default: str) -> T:
    value = (row.get(key) or default).lower().replace(" ", "_")
    if value not in choices:
        raise ValidationFailed(f"{key} {value!r} is not one of {', '.join(choices)}")
    return choices[value]


def import_orders(
    session: Session, ctx: Context, rows: Iterable[tuple[int, Row]], progress: Callable[[int], None] | None = None
) -> FileReport:
    """orders.csv (one row per order line, as `easy-ecom export` writes it): each past order is
    replayed at its own time through the order services, so reports and return windows are right.

    The units an order took for good (all of them, less those returned; none when it was
    cancelled) are first received at the variant's average cost a minute before it, so after the
    import each variant's stock is still what products.csv said it is today. Its prices are the
    file's. An order already imported (its number) is left as it is.
    """
    zone = ZoneInfo(tenancy.get_client(scoped(session, ctx), ctx.client_id).timezone)
    groups: dict[str, list[tuple[int, Row]]] = {}
    for line, row in _canonical_rows(rows):
        groups.setdefault(row.get("number", ""), []).append((line, row))

    def apply_order(lines: list[tuple[int, Row]], report: FileReport) -> bool:
        if progress:
            progress(len(lines))
        head = lines[0][1]
        number = head.get("number", "")
        if not number:
            raise ValidationFailed("each row needs the order's number")
        key = f"import:{number}"
        if session.scalar(select(Order.id).where(Order.client_id == ctx.client_id, Order.idempotency_key == key)):
            return False
        placed = _moment(head.get("created_at", ""), zone)
        status = _choice(head, "status", IMPORTED_STATUSES, "delivered")
        wanted: dict[Variant, list[int]] = {}
        prices = {}
        for _, row in lines:
            variant = session.scalars(
                select(Variant).where(Variant.client_id == ctx.client_id, Variant.sku == row.get("sku", ""))
            ).first()
            if variant is None:
                raise ValidationFailed(f"no SKU {row.get('sku', '')!r} in this shop; import products.csv first")
            sold, returned = wanted.setdefault(variant, [0, 0])
            wanted[variant] = [sold + _whole(row, "quantity"), returned + _whole(row, "returned_quantity")]
            prices[variant.id] = _decimal(row, "unit_price", str(variant.price))
        for variant, (sold, returned) in wanted.items():
            kept = 0 if status is OrderStatus.CANCELLED else sold - returned
            if kept > 0:
                inventory.receive_stock(
                    session,
                    ctx,
                    variant.id,
                    kept,
                    variant.avg_cost,
                    reason=f"units of past order {number}",
                    received_at=placed - HISTORY_LEAD,
                )
        phone = head.get("customer_phone")
        customer_id = None
        if phone:
            customer_id = session.scalar(
                select(Customer.id).where(
                    Customer.client_id == ctx.client_id, Customer.phone == customers.e164(session, ctx, phone)
                )
            )
            if customer_id is None:
                raise ValidationFailed(f"no customer with phone {phone}; import customers.csv first")
        draft = OrderDraft(
            lines=[LineRequest(variant.id, sold) for variant, (sold, _) in wanted.items()],
            payment_method=_choice(head, "payment_method", {m.value: m for m in PaymentMethod}, "cash"),
            payment_status=PaymentStatus.PAID
            if head.get("payment_status", "").lower() in PAID_WORDS
            else PaymentStatus.UNPAID,
            discount_pct=_decimal(head, "discount_pct", "0"),
            customer_id=customer_id,
            note=f"imported order {number}",
            idempotency_key=key,
            created_at=placed,
        )
        order = orders.create_order(session, ctx, draft, past_prices=prices)
        later = placed + HISTORY_LEAD
        if status is OrderStatus.CANCELLED:
            orders.cancel_order(session, ctx, order.id, "cancelled (imported)", at=later)
            return True
        if status is not OrderStatus.PENDING:
            orders.confirm_order(session, ctx, order.id, at=placed)
        if status is OrderStatus.DELIVERED:
            orders.deliver_order(session, ctx, order.id, at=placed)
        back = {variant.id: returned for variant, (_, returned) in wanted.items() if returned}
        if back:
            items = [ReturnItem(line.id, back[line.variant_id]) for line in order.lines if line.variant_id in back]
            returns.create_return(session, ctx, order.id, items, reason="returned (imported)", now=later)
        return True

    grouped = [(lines[0][0], lines) for lines in groups.values()]
    return _import(session, "orders.csv", grouped, apply_order)


def export_products(session: Session, ctx: Context) -> list[Row]:
    """products.csv as `import_products` reads it; opening_stock is today's stock at today's average cost."""
    scoped(session, ctx)
    products = session.scalars(
        select(Product)
        .where(Product.client_id == ctx.client_id)
        .options(selectinload(Product.variants))
        .order_by(Product.name, Product.id)
    )
    return [
        {
            "product_name": product.name,
            "category": product.category,
            "description": product.description,
            "sku": variant.sku,
            "options": "; ".join(f"{k}={v}" for k, v in variant.options.items()),
            "price": str(variant.price),
            "reorder_point": str(variant.reorder_point),
            "opening_stock": str(variant.on_hand),
            "unit_cost": str(variant.avg_cost),
        }
        for product in products
        for variant in sorted(product.variants, key=lambda v: v.sku)
    ]


def export_customers(session: Session, ctx: Context) -> list[Row]:
    """customers.csv (live customers) as `import_customers` reads it, with the default address."""
    scoped(session, ctx)
    rows: list[Row] = []
    for customer in session.scalars(
        select(Customer)
        .where(Customer.client_id == ctx.client_id, Customer.deleted_at.is_(None))
        .options(selectinload(Customer.addresses))
        .order_by(Customer.name, Customer.id)
    ):
        default = next((a for a in customer.addresses if a.is_default), None)
        rows.append(
            {
                "name": customer.name,
                "phone": customer.phone or "",
                "email": customer.email or "",
                "wa_id": customer.wa_id or "",
                "tags": ";".join(customer.tags),
                "notes": customer.notes,
                "marketing_opt_out": "yes" if customer.marketing_opt_out else "no",
                **{
                    k: getattr(default, k) if default else ""
                    for k in ("line1", "line2", "city", "region", "postcode", "country")
                },
            }
        )
    return rows


def export_orders(session: Session, ctx: Context) -> list[Row]:
    """orders.csv: one row per order line with the order's number, time, status, customer phone and totals."""
    scoped(session, ctx)
    query = select(Customer.id, Customer.phone).where(Customer.client_id == ctx.client_id)
    phone_of = {customer_id: phone or "" for customer_id, phone in session.execute(query)}
    rows: list[Row] = []
    for order in session.scalars(
        select(Order).where(Order.client_id == ctx.client_id).options(selectinload(Order.lines)).order_by(Order.number)
    ):
        for line in order.lines:
            rows.append(
                {
                    "number": str(order.number),
                    "created_at": order.created_at.isoformat(),
                    "status": order.status.value,
                    "customer_phone": phone_of.get(order.customer_id, "") if order.customer_id else "",
                    "payment_method": order.payment_method.value,
                    "payment_status": order.payment_status.value,
                    "discount_pct": str(order.discount_pct),
                    "sku": line.sku,
                    "quantity": str(line.quantity),
                    "unit_price": str(line.unit_price),
                    "line_total": str(line.line_total),
                    "returned_quantity": str(line.returned_quantity),
                }
            )
    return rows


IMPORTERS: dict[str, Callable[..., FileReport]] = {
    "clients.csv": import_profile,
    "users.csv": import_users,
    "products.csv": import_products,
    "customers.csv": import_customers,
    "orders.csv": import_orders,
}
"""The files `easy-ecom import` reads from a folder, in this order."""
PRODUCT_COLUMNS = (
    "product_name",
    "category",
    "description",
    "sku",
    "options",
    "price",
    "reorder_point",
    "opening_stock",
    "unit_cost",
)
CUSTOMER_COLUMNS = (
    "name",
    "phone",
    "email",
    "wa_id",
    "tags",
    "notes",
    "marketing_opt_out",
    "line1",
    "line2",
    "city",
    "region",
    "postcode",
    "country",
)
ORDER_COLUMNS = (
    "number",
    "created_at",
    "status",
    "customer_phone",
    "payment_method",
    "payment_status",
    "discount_pct",
    "sku",
    "quantity",
    "unit_price",
    "line_total",
    "returned_quantity",
)
EXPORTERS: dict[str, tuple[tuple[str, ...], Callable[[Session, Context], list[Row]]]] = {
    "products.csv": (PRODUCT_COLUMNS, export_products),
    "customers.csv": (CUSTOMER_COLUMNS, export_customers),
    "orders.csv": (ORDER_COLUMNS, export_orders),
}
"""The files `easy-ecom export` writes, with their columns."""
