"""Customers: contact details in E.164, delivery addresses, notes and tags, soft delete, erasure on
request, and a customer's lifetime figures.

WhatsApp contacts (`tenancy.get_or_create_customer`) and customers typed in by staff are the same
records: a phone is stored as `+<country code><number>`, local numbers completed with the shop's
country calling code, so "0803 123 4567" typed at the counter finds the WhatsApp sender 2348031234567.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, func, inspect, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, selectinload

from domain import audit, phones, tenancy
from domain.context import Context, scoped
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models import (
    Customer,
    CustomerAddress,
    InboxMessage,
    InboxState,
    Order,
    OrderLine,
    OrderStatus,
    OutboundMessage,
    OutboundState,
    Return,
    Role,
)
from domain.models.base import utcnow
from domain.money import ZERO, cents

MAX_TAGS, MAX_TAG_LENGTH, MAX_ADDRESSES = 20, 40, 20
CONTACT_FIELDS = frozenset({"name", "phone", "email", "wa_id", "notes", "tags", "marketing_opt_out"})
ADDRESS_FIELDS = frozenset({"label", "line1", "line2", "city", "region", "postcode", "country", "is_default"})
CHECKPOINT_TABLES = ("checkpoint_writes", "checkpoint_blobs", "checkpoints")
"""The agent's conversation memory (LangGraph's Postgres checkpointer, created by graph/memory.py)."""


@dataclass(frozen=True)
class AddressDraft:
    """A structured delivery address; `country` is an ISO 3166 alpha-2 code."""

    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    label: str = ""
    is_default: bool = False


@dataclass(frozen=True)
class CustomerDraft:
    """A new customer as staff enter it; the first address becomes the default unless one is marked."""

    name: str
    phone: str | None = None
    email: str | None = None
    wa_id: str | None = None
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    marketing_opt_out: bool = False
    addresses: list[AddressDraft] = field(default_factory=list)


@dataclass(frozen=True)
class CustomerFilter:
    """List filters; `q` matches name, email, phone or WhatsApp id (a phone in any common form)."""

    q: str | None = None
    tag: str | None = None
    marketing_opt_out: bool | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class CustomerFigures:
    """A customer's lifetime: live (not cancelled) orders, what they paid net of refunds, returns;
    `gross_profit` (net sales − cost of the units they kept) is None unless an owner asks."""

    order_count: int
    revenue: Decimal
    refunds: Decimal
    net_sales: Decimal
    return_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    gross_profit: Decimal | None


def e164(session: Session, ctx: Context, raw: str) -> str:
    """`raw` as an E.164 phone, a local number completed with the shop's country calling code."""
    return phones.to_e164(raw, tenancy.get_client(session, ctx.client_id).country_calling_code)


def normalize_tags(tags: list[str]) -> list[str]:
    """Trimmed, lower-case, unique tags in their first order."""
    cleaned = list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise ValidationFailed(f"a customer has at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters")
    return cleaned


def _contact_fields(
    session: Session, ctx: Context, fields: dict[str, object], current_phone: str | None = None
) -> dict[str, object]:
    """Validated, normalised contact fields (phone E.164, e-mail lower-case, wa_id digits, tags).
    A WhatsApp id gives the phone when there is none (neither sent nor on file)."""
    out = dict(fields)
    if out.get("phone"):
        out["phone"] = e164(session, ctx, str(out["phone"]))
    if out.get("wa_id") and not out.get("phone") and not ("phone" not in out and current_phone):
        out["phone"] = phones.from_wa_id(str(out["wa_id"]))
    if "email" in out:
        out["email"] = str(out["email"] or "").strip().lower() or None
    if "tags" in out:
        out["tags"] = normalize_tags(list(out["tags"] or []))  # type: ignore[call-overload]
    if "name" in out and not str(out["name"]).strip():
        raise ValidationFailed("a customer needs a name")
    return out


def _check_unique(session: Session, ctx: Context, fields: dict[str, object], exclude: uuid.UUID | None) -> None:
    """Refuse a phone or WhatsApp id that another live customer of this shop already has."""
    for column, value in ((Customer.phone, fields.get("phone")), (Customer.wa_id, fields.get("wa_id"))):
        if not value:
            continue
        query = select(Customer.id).where(Customer.client_id == ctx.client_id, column == value)
        if column is Customer.phone:
            query = query.where(Customer.deleted_at.is_(None))
        existing = session.scalar(query.where(Customer.id != exclude) if exclude else query)
        if existing is not None:
            raise Conflict(
                f"customer {existing} already has {column.key} {value}; open that customer instead",
                customer_id=str(existing),
            )


def _flush_unique(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("another customer with this phone or WhatsApp id was saved just now; search for it") from None


def _new_address(ctx: Context, draft: AddressDraft) -> CustomerAddress:
    if not draft.line1.strip():
        raise ValidationFailed("an address needs its first line")
    return CustomerAddress(
        client_id=ctx.client_id,
        label=draft.label,
        line1=draft.line1.strip(),
        line2=draft.line2,
        city=draft.city,
        region=draft.region,
        postcode=draft.postcode,
        country=draft.country.upper(),
        is_default=False,  # set by _keep_one_default
    )


def _keep_one_default(customer: Customer, preferred: CustomerAddress | None = None) -> None:
    """Exactly one default address when there are any: `preferred`, else the current one, else the first."""
    if not customer.addresses:
        return
    current = preferred or next((a for a in customer.addresses if a.is_default), customer.addresses[0])
    for address in customer.addresses:
        if address is not current:
            address.is_default = False
    session = object_session(customer)
    if session is not None and inspect(customer).persistent:
        session.flush()  # clear the old default first: one default per customer is a unique index
    current.is_default = True


def create_customer(session: Session, ctx: Context, draft: CustomerDraft) -> Customer:
    """A customer entered by staff (walk-in, phone order); 409 names an existing one with the same phone."""
    ctx.require_staff(action="adding a customer")
    scoped(session, ctx)
    if len(draft.addresses) > MAX_ADDRESSES:
        raise ValidationFailed(f"a customer has at most {MAX_ADDRESSES} addresses")
    fields = _contact_fields(
        session,
        ctx,
        {
            "name": draft.name,
            "phone": draft.phone,
            "email": draft.email,
            "wa_id": draft.wa_id,
            "notes": draft.notes,
            "tags": draft.tags,
            "marketing_opt_out": draft.marketing_opt_out,
        },
    )
    _check_unique(session, ctx, fields, None)
    customer = Customer(client_id=ctx.client_id, **fields)
    customer.addresses = [_new_address(ctx, a) for a in draft.addresses]
    marked = (address for address, d in zip(customer.addresses, draft.addresses, strict=True) if d.is_default)
    _keep_one_default(customer, next(marked, None))
    session.add(customer)
    _flush_unique(session)
    return customer


def find_or_create_by_phone(session: Session, ctx: Context, name: str, phone: str) -> Customer:
    """The live customer with this phone (in any form), or a new one: staff taking an order over the
    phone or at the counter need not search first."""
    ctx.require_staff(action="adding a customer")
    found = tenancy.live_customer_by_phone(scoped(session, ctx), ctx.client_id, e164(session, ctx, phone))
    return found or create_customer(session, ctx, CustomerDraft(name=name, phone=phone))


def _customer_query(ctx: Context) -> Select[tuple[Customer]]:
    query = select(Customer).where(Customer.client_id == ctx.client_id).options(selectinload(Customer.addresses))
    if ctx.role is Role.CUSTOMER:
        query = query.where(Customer.id == ctx.customer_id)
    return query


def get_customer(
    session: Session, ctx: Context, customer_id: uuid.UUID, *, include_deleted: bool = False, for_update: bool = False
) -> Customer:
    """A customer of this shop with their addresses; a customer may only see themself."""
    query = _customer_query(ctx).where(Customer.id == customer_id)
    if not include_deleted:
        query = query.where(Customer.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update(of=Customer).execution_options(populate_existing=True)
    customer = scoped(session, ctx).scalars(query).first()
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(session: Session, ctx: Context, q: str) -> ColumnElement[bool]:
    terms = [Customer.name.ilike(_like(q)), Customer.email.ilike(_like(q)), Customer.wa_id == q.lstrip("+")]
    with contextlib.suppress(ValidationFailed):  # not a phone number: the other terms still apply
        terms.append(Customer.phone == e164(session, ctx, q))
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 4:
        terms.append(Customer.phone.like(_like(digits.lstrip("0"))))
    return or_(*terms)


def list_customers(
    session: Session, ctx: Context, filters: CustomerFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[Customer], int]:
    """Customers by name (then newest first), and how many match."""
    ctx.require_staff(action="listing customers")
    f = filters or CustomerFilter()
    scoped(session, ctx)
    query = _customer_query(ctx)
    if not f.include_deleted:
        query = query.where(Customer.deleted_at.is_(None))
    if f.q and f.q.strip():
        query = query.where(_search(session, ctx, f.q.strip()))
    if f.tag:
        query = query.where(Customer.tags.contains([f.tag.strip().lower()]))
    if f.marketing_opt_out is not None:
        query = query.where(Customer.marketing_opt_out.is_(f.marketing_opt_out))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(func.lower(Customer.name), Customer.created_at.desc()).limit(limit).offset(offset)
    )
    return list(items), total


def update_customer(session: Session, ctx: Context, customer_id: uuid.UUID, changes: dict[str, object]) -> Customer:
    """Change contact fields, notes, tags or the marketing opt-out; omitted fields stay."""
    ctx.require_staff(action="editing a customer")
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        raise ValidationFailed(f"these customer fields cannot be changed: {', '.join(sorted(unknown))}")
    customer = get_customer(session, ctx, customer_id, for_update=True)
    fields = _contact_fields(session, ctx, changes, customer.phone)
    _check_unique(session, ctx, fields, customer.id)
    for key, value in fields.items():
        setattr(customer, key, value)
    _flush_unique(session)
    return customer


def delete_customer(session: Session, ctx: Context, customer_id: uuid.UUID) -> Customer:
    """Soft delete: hidden from lists and new orders, orders and figures kept; audited."""
    ctx.require_staff(action="deleting a customer")
    customer = get_customer(session, ctx, customer_id, for_update=True)
    customer.deleted_at = utcnow()
    audit.record(session, ctx, audit.Action.CUSTOMER_DELETED, target=("customer", customer.id))
    return customer


def erase_customer(session: Session, ctx: Context, customer_id: uuid.UUID) -> Customer:
    """Erase a customer's personal data on request (owners only, irreversible, audited).

    Name, phone, e-mail, WhatsApp ids, notes, tags and addresses go, and so does the delivery
    address written on their orders and every agent conversation they had (on any channel); the
    orders, returns, store credit and ledgers stay, pointing at the anonymous record, so the books
    do not change.
    """
    ctx.require(Role.OWNER, action="erasing a customer's personal data")
    customer = get_customer(session, ctx, customer_id, include_deleted=True, for_update=True)
    if customer.erased_at is not None:
        raise Conflict(f"customer {customer.id} was already erased")
    messages = forget_messages(session, ctx, customer.id, customer.wa_id)
    customer.name, customer.phone, customer.email = "", None, None
    customer.wa_id, customer.wa_user_id, customer.notes, customer.tags = None, None, "", []
    customer.marketing_opt_out = True
    customer.addresses.clear()
    customer.erased_at = utcnow()
    customer.deleted_at = customer.deleted_at or customer.erased_at
    for order in session.scalars(
        select(Order).where(Order.client_id == ctx.client_id, Order.customer_id == customer.id)
    ):
        order.delivery_address = None
    session.flush()
    forgotten = forget_conversations(session, ctx, customer.id)
    audit.record(
        session,
        ctx,
        audit.Action.CUSTOMER_ERASED,
        target=("customer", customer.id),
        detail={"threads": forgotten, "messages": messages},
    )
    return customer


def forget_messages(session: Session, ctx: Context, customer_id: uuid.UUID, wa_id: str | None) -> int:
    """Scrub the customer's WhatsApp messages, in and out (by customer or by their wa_id): text,
    names and numbers go, the rows stay (duplicate deliveries are still recognised by wamid, and
    delivery statuses and turn costs still count). A message not yet handled or sent is given up
    first, so nothing more is answered or sent to them. Says how many messages were scrubbed."""
    erased = "erased on the customer's request"
    counts = []
    for model, number, in_flight, given_up, scrubbed in (
        (
            InboxMessage,
            InboxMessage.wa_id,
            [InboxState.RECEIVED, InboxState.PROCESSING],
            {"state": InboxState.DEAD, "last_error": erased, "lease_until": None},
            {"payload": {}, "contact_name": "", "wa_id": "", "wa_user_id": None},
        ),
        (
            OutboundMessage,
            OutboundMessage.to_wa_id,
            [OutboundState.PENDING],
            {"state": OutboundState.DEAD, "error": erased, "lease_until": None},
            {"payload": {}, "to_wa_id": ""},
        ),
    ):
        theirs = model.customer_id == customer_id
        rows = [model.client_id == ctx.client_id, or_(theirs, number == wa_id) if wa_id else theirs]
        session.execute(
            update(model)
            .where(*rows, model.state.in_(in_flight))
            .values(given_up)
            .execution_options(synchronize_session=False)
        )
        done = session.execute(update(model).where(*rows).values(scrubbed).execution_options(synchronize_session=False))
        counts.append(done.rowcount)
    return sum(counts)


def forget_conversations(session: Session, ctx: Context, customer_id: uuid.UUID) -> int:
    """Delete the checkpoints of every conversation thread of this customer, in this transaction,
    and say how many threads there were. A thread is `<channel>:<client>:<customer>:<conversation>`
    (graph.conversations.thread_key), so the client and customer ids pin it on every channel."""
    params = {"pattern": _like(f":{ctx.client_id}:{customer_id}:")}
    threads = session.scalar(
        text("SELECT count(DISTINCT thread_id) FROM checkpoints WHERE thread_id LIKE :pattern"), params
    )
    for table in CHECKPOINT_TABLES:
        session.execute(text(f"DELETE FROM {table} WHERE thread_id LIKE :pattern"), params)
    return threads or 0


def add_address(session: Session, ctx: Context, customer_id: uuid.UUID, draft: AddressDraft) -> CustomerAddress:
    """Add a delivery address; the first one, or one marked default, becomes the default."""
    ctx.require_staff(action="adding an address")
    customer = get_customer(session, ctx, customer_id, for_update=True)
    if len(customer.addresses) >= MAX_ADDRESSES:
        raise ValidationFailed(f"a customer has at most {MAX_ADDRESSES} addresses")
    address = _new_address(ctx, draft)
    customer.addresses.append(address)
    _keep_one_default(customer, address if draft.is_default else None)
    session.flush()
    return address


def _address_of(customer: Customer, address_id: uuid.UUID) -> CustomerAddress:
    address = next((a for a in customer.addresses if a.id == address_id), None)
    if address is None:
        raise NotFound(f"address {address_id} not found for customer {customer.id}")
    return address


def update_address(
    session: Session, ctx: Context, customer_id: uuid.UUID, address_id: uuid.UUID, changes: dict[str, object]
) -> CustomerAddress:
    """Edit an address (orders keep the address as it was when they were placed)."""
    ctx.require_staff(action="editing an address")
    unknown = set(changes) - ADDRESS_FIELDS
    if unknown:
        raise ValidationFailed(f"these address fields cannot be changed: {', '.join(sorted(unknown))}")
    customer = get_customer(session, ctx, customer_id, for_update=True)
    address = _address_of(customer, address_id)
    if "line1" in changes and not str(changes["line1"]).strip():
        raise ValidationFailed("an address needs its first line")
    for key, value in changes.items():
        if key != "is_default":
            setattr(address, key, str(value).upper() if key == "country" else value)
    if changes.get("is_default") is True:
        _keep_one_default(customer, address)
    session.flush()
    return address


def remove_address(session: Session, ctx: Context, customer_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Remove an address; if it was the default, the oldest remaining one becomes the default."""
    ctx.require_staff(action="removing an address")
    customer = get_customer(session, ctx, customer_id, for_update=True)
    customer.addresses.remove(_address_of(customer, address_id))
    session.flush()
    _keep_one_default(customer)
    session.flush()


def delivery_address(
    session: Session, ctx: Context, customer_id: uuid.UUID | None, address_id: uuid.UUID | None
) -> CustomerAddress | None:
    """The address an order ships to: `address_id` (one of the customer's), else the customer's
    default, else none."""
    if customer_id is None:
        if address_id is not None:
            raise ValidationFailed("a saved delivery address needs the order's customer_id")
        return None
    customer = get_customer(session, ctx, customer_id)
    if address_id is not None:
        return _address_of(customer, address_id)
    return next((a for a in customer.addresses if a.is_default), None)


def customer_returns(
    session: Session, ctx: Context, customer_id: uuid.UUID, *, limit: int = 50, offset: int = 0
) -> tuple[list[Return], int]:
    """Returns against the customer's orders, newest first, and how many there are."""
    ctx.require_staff(action="listing a customer's returns")
    get_customer(session, ctx, customer_id, include_deleted=True)
    query = (
        select(Return)
        .join(Order, Order.id == Return.order_id)
        .where(Return.client_id == ctx.client_id, Order.customer_id == customer_id)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Return.created_at.desc()).limit(limit).offset(offset).options(selectinload(Return.lines))
    )
    return list(items), total


def lifetime_figures(session: Session, ctx: Context, customer_id: uuid.UUID) -> CustomerFigures:
    """Orders, revenue, refunds and returns over the customer's life; gross profit for owners only."""
    ctx.require_staff(action="reading a customer's figures")
    get_customer(session, ctx, customer_id, include_deleted=True)
    live = (Order.client_id == ctx.client_id, Order.customer_id == customer_id, Order.status != OrderStatus.CANCELLED)
    orders = session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), ZERO),
            func.coalesce(func.sum(Order.refunded_amount), ZERO),
            func.min(Order.created_at),
            func.max(Order.created_at),
        ).where(*live)
    ).one()
    kept_cost = session.scalar(
        select(func.coalesce(func.sum(OrderLine.unit_cost * (OrderLine.quantity - OrderLine.returned_quantity)), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(*live)
    )
    return_count = session.scalar(
        select(func.count(Return.id))
        .join(Order, Order.id == Return.order_id)
        .where(Return.client_id == ctx.client_id, Order.customer_id == customer_id)
    )
    revenue, refunds = cents(Decimal(orders[1])), cents(Decimal(orders[2]))
    return CustomerFigures(
        order_count=orders[0],
        revenue=revenue,
        refunds=refunds,
        net_sales=revenue - refunds,
        return_count=return_count or 0,
        first_order_at=orders[3],
        last_order_at=orders[4],
        gross_profit=revenue - refunds - cents(Decimal(kept_cost or 0)) if ctx.role is Role.OWNER else None,
    )


def find_one(session: Session, ctx: Context, text: str) -> Customer:
    """The one live customer a name, phone or email names (staff and owners); several matches are
    refused with the candidates, so nobody is picked silently."""
    found, total = list_customers(session, ctx, CustomerFilter(q=text), limit=5)
    if not found:
        raise NotFound(f"no customer matches {text!r}; try their phone number or full name")
    if total > 1:
        names = "; ".join(f"{c.name} ({c.phone or c.email or c.wa_id or 'no contact'})" for c in found)
        raise ValidationFailed(f"{total} customers match {text!r}: {names}. Say which one (a phone number is best)")
    return found[0]
