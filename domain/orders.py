"""Orders: atomic stock taking, the discount policy, commission, state transitions and edits.

Every money field is derived here from variant prices, stock costs and the client's policy;
nothing a caller (or an LLM) sends can set a price, a cost or a total.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from domain import audit, catalog, customers, idempotency, inventory, journal, messaging, pricing, store_credit, tenancy
from domain.clearance import require_clearance
from domain.context import Context, scoped
from domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    OutOfStock,
    ValidationFailed,
)
from domain.inventory import Reference
from domain.journal import Posting, credit, debit
from domain.models import (
    Account,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Channel,
    CreditKind,
    JournalEntry,
    JournalLine,
    MovementKind,
    Order,
    OrderLine,
    OrderNumber,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Role,
    StockMovement,
    Variant,
)
from domain.models.base import Base, attach_inserted, json_rows, row_values, utcnow
from domain.money import ZERO, unit_cost

MAX_LINES = 100
MAX_ORDER_NUMBER = 10**9

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED}),
    OrderStatus.PARTIALLY_RETURNED: frozenset({OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.RETURNED: frozenset(),
}


@dataclass(frozen=True)
class LineRequest:
    """`quantity` units of one variant."""

    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class OrderDraft:
    """What a caller may ask for; prices, costs and totals are not part of it."""

    lines: list[LineRequest]
    payment_method: PaymentMethod = PaymentMethod.CASH
    payment_status: PaymentStatus = PaymentStatus.UNPAID
    discount_pct: Decimal = ZERO
    customer_id: uuid.UUID | None = None
    store_credit_amount: Decimal = ZERO
    delivery_address: str | None = None
    delivery_address_id: uuid.UUID | None = None
    note: str = ""
    idempotency_key: str | None = None
    created_at: datetime | None = field(default=None, compare=False)

    def fingerprint(self) -> str:
        """A hash of the request body, to tell a retry from a different request under one key."""
        body = asdict(self)
        body.pop("idempotency_key")
        body.pop("created_at")
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def draft_payload(draft: OrderDraft) -> dict[str, object]:
    """An order request as JSON (kept on an approval until the owner decides); every order passes
    through it, so it is written out rather than derived (`draft_from_payload` reads it back)."""
    return {
        "lines": [{"variant_id": str(line.variant_id), "quantity": line.quantity} for line in draft.lines],
        "payment_method": _text(draft.payment_method),
        "payment_status": _text(draft.payment_status),
        "discount_pct": str(draft.discount_pct),
        "customer_id": _text(draft.customer_id),
        "store_credit_amount": str(draft.store_credit_amount),
        "delivery_address": draft.delivery_address,
        "delivery_address_id": _text(draft.delivery_address_id),
        "note": draft.note,
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def draft_from_payload(payload: dict[str, Any], idempotency_key: str | None) -> OrderDraft:
    """The order request kept by `draft_payload`, under a new idempotency key."""
    return OrderDraft(
        lines=[LineRequest(uuid.UUID(line["variant_id"]), int(line["quantity"])) for line in payload["lines"]],
        payment_method=PaymentMethod(payload["payment_method"]),
        payment_status=PaymentStatus(payload["payment_status"]),
        discount_pct=Decimal(payload["discount_pct"]),
        customer_id=uuid.UUID(payload["customer_id"]) if payload["customer_id"] else None,
        store_credit_amount=Decimal(payload.get("store_credit_amount", ZERO)),
        delivery_address=payload["delivery_address"],
        delivery_address_id=uuid.UUID(payload["delivery_address_id"]) if payload.get("delivery_address_id") else None,
        note=payload["note"],
        idempotency_key=idempotency_key,
    )


def check_transition(order: Order, target: OrderStatus) -> None:
    """Raise InvalidTransition unless `order` may move to `target`."""
    if target not in TRANSITIONS[order.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[order.status])) or "nothing (final)"
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}; it cannot become {target.value} (allowed: {allowed})"
        )


def merge_lines(lines: Iterable[LineRequest]) -> dict[uuid.UUID, int]:
    """Validate quantities and merge repeated variants into one quantity each."""
    merged: dict[uuid.UUID, int] = {}
    for line in lines:
        if not isinstance(line.variant_id, uuid.UUID):
            raise ValidationFailed("each line needs a variant id")
        merged[line.variant_id] = merged.get(line.variant_id, 0) + inventory.validate_quantity(line.quantity)
    if not merged:
        raise ValidationFailed("an order needs at least one line")
    if len(merged) > MAX_LINES:
        raise ValidationFailed(f"an order has at most {MAX_LINES} lines")
    for quantity in merged.values():
        inventory.validate_quantity(quantity)
    return merged


def _revenue_postings(order: Order) -> list[Posting]:
    settle = Account.CASH if order.payment_status is PaymentStatus.PAID else Account.RECEIVABLES
    return [
        debit(settle, order.total - order.store_credit_amount),
        debit(Account.STORE_CREDIT, order.store_credit_amount),
        debit(Account.SALES_DISCOUNTS, order.discount_amount),
        credit(Account.REVENUE, order.subtotal),
        debit(Account.COMMISSION_EXPENSE, order.commission_amount),
        credit(Account.COMMISSION_PAYABLE, order.commission_amount),
    ]


def stock_postings(movements: Iterable[StockMovement]) -> list[Posting]:
    """Inventory moves by each movement's value change; the other side is COGS."""
    postings: list[Posting] = []
    for movement in movements:
        postings += [debit(Account.INVENTORY, movement.value), credit(Account.COGS, movement.value)]
    return postings


def reversed_postings(postings: Iterable[Posting]) -> list[Posting]:
    """The same postings with debits and credits swapped."""
    return [Posting(p.account, debit=p.credit, credit=p.debit) for p in postings]


def _sellable_variants(session: Session, ctx: Context, variant_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Variant]:
    ids = list(variant_ids)
    found = {v.id: v for v in session.scalars(catalog.sellable_variants(ctx).where(Variant.id.in_(ids)))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFound(f"these products are not for sale here: {', '.join(missing)}", variant_ids=missing)
    return found


def _take_stock(
    session: Session, ctx: Context, wanted: dict[uuid.UUID, int], reference: Reference, at: datetime | None
) -> dict[uuid.UUID, inventory.Taken]:
    """Take every line's units (their movements still to write), in one lock order for every
    transaction (no deadlocks); a line not for sale here is named with every other such line."""
    try:
        return {
            variant_id: inventory.take_stock(
                session,
                ctx,
                variant_id,
                wanted[variant_id],
                MovementKind.SALE,
                reference=reference,
                at=at,
                sellable=True,
            )
            for variant_id in sorted(wanted)
        }
    except NotFound:
        _sellable_variants(session, ctx, wanted)
        raise


def _insert_numbered(
    session: Session, order: Order, entry: journal.Entry | None, movements: Iterable[StockMovement]
) -> None:
    """Insert `order`, its lines, its stock movements and its journal entry (memo: its memo and the
    number) in one statement that also takes the shop's next order number, and give `order` that
    number; the order and its lines are in `session` as written.

    The number's row lock (which serialises a shop's orders, to keep numbers gapless) is taken by
    this last statement before the commit, so it is held for one statement and the commit only:
    everything else, the order's place in the session included, is done before it is taken."""
    for line in order.lines:
        line.order_id = order.id
    rows: list[tuple[type[Base], list[dict[str, Any]]]] = [
        (Order, [row_values(order)]),
        (OrderLine, [row_values(line) for line in order.lines]),
        (StockMovement, [row_values(movement) for movement in movements]),
    ]
    if entry is not None:
        rows += [(JournalEntry, [entry.row]), (JournalLine, entry.lines)]
    rows = [(model, values) for model, values in rows if values]
    shape = tuple((model, tuple(values[0])) for model, values in rows)
    params = {f"rows_{n}": json_rows(values) for n, (_, values) in enumerate(rows)}
    attach_inserted(session, *order.lines, order)
    number = session.execute(_numbered_insert(shape), params | {"shop": order.client_id}).scalar_one()
    set_committed_value(order, "number", number)  # as the row holds it: nothing left to flush


@functools.cache
def _numbered_insert(shape: tuple[tuple[type[Base], tuple[str, ...]], ...]) -> Select[tuple[int]]:
    """The statement `_insert_numbered` sends for rows of this shape (models and their columns),
    built once: an INSERT per table, each a CTE reading its rows from one JSON parameter, so the
    statement is the same for any number of lines and has 6 parameters, not one per value (psycopg
    parsed the 105-parameter form anew on every order: 265 µs, now 25).

    The rows' columns are read as `r."<column>"`, unlabelled (a CTE's SELECT labels each column it
    knows as a table's: `r.x AS x`), and the counter's step is a literal, not a parameter with its
    cast: that keeps the statement under psycopg's 4,096-byte limit for caching a statement's
    conversion (`MAX_CACHED_STATEMENT_LENGTH`); above it, every order's statement was parsed anew."""
    numbers = OrderNumber.__table__.c
    counter = (
        update(OrderNumber.__table__)
        .where(numbers.client_id == bindparam("shop"))
        .values(next_number=numbers.next_number + literal_column("1"))
        .returning((numbers.next_number - literal_column("1")).label("number"))
        .cte("order_number")
    )
    number = select(counter.c.number).scalar_subquery()
    inserts = []
    for n, (model, keys) in enumerate(shape):
        table = model.__table__
        rows = func.jsonb_populate_recordset(
            literal_column(f"NULL::{table.name}"), cast(bindparam(f"rows_{n}", type_=Text), JSONB)
        ).alias("r")
        values: dict[str, Any] = {key: _row_column(table.c[key]) for key in keys}
        if model is Order:
            values["number"] = number
        elif model is JournalEntry:
            values["memo"] = values["memo"] + cast(number, Text)
        read = select(*values.values()).select_from(rows)
        inserts.append(insert(table).from_select(list(values), read).cte(f"new_{table.name}"))
    return select(counter.c.number).add_cte(counter, *inserts)


def _row_column(column: Column[Any]) -> ColumnElement[Any]:
    """`r."<column>"`: one of the `jsonb_populate_recordset` rows' columns, quoted for any name."""
    quoted = column.name.replace('"', '""')
    return literal_column(f'r."{quoted}"', column.type)


def _customer_for(session: Session, ctx: Context, requested: uuid.UUID | None) -> uuid.UUID | None:
    if ctx.role is Role.CUSTOMER:
        if requested is not None and requested != ctx.customer_id:
            raise Forbidden("a customer can only order for themself")
        return ctx.customer_id
    if requested is not None:
        customers.get_customer(session, ctx, requested)
    return requested


def _delivery_for(
    session: Session, ctx: Context, customer_id: uuid.UUID | None, draft: OrderDraft
) -> tuple[str | None, uuid.UUID | None]:
    """(address text, saved address id): a one-off text, or the customer's chosen or default address,
    snapshotted as text so later edits of the address do not change the order."""
    if draft.delivery_address is not None:
        if draft.delivery_address_id is not None:
            raise ValidationFailed("send either delivery_address (one-off) or delivery_address_id, not both")
        return draft.delivery_address, None
    address = customers.delivery_address(session, ctx, customer_id, draft.delivery_address_id)
    return (address.one_line(), address.id) if address else (None, None)


def _check_payment_method(method: PaymentMethod | None) -> None:
    if method is PaymentMethod.STORE_CREDIT:
        raise ValidationFailed(
            "store credit is spent with store_credit_amount; payment_method says how the rest is paid"
        )


def _credit_for(customer_id: uuid.UUID | None, amount: Decimal) -> Decimal:
    """The store credit a new order spends: none, or a positive amount of its customer's credit."""
    if not amount:
        return ZERO
    if customer_id is None:
        raise ValidationFailed("store credit belongs to a customer: send the order's customer_id")
    return store_credit.check_amount(amount, "store_credit_amount")


def _check_credit_covered(order: Order) -> None:
    if order.store_credit_amount > order.total:
        raise ValidationFailed(
            f"store credit {order.store_credit_amount} is more than the order total {order.total}",
            total=str(order.total),
        )


def _apply_totals(order: Order) -> None:
    totals = pricing.price_order(
        [(line.quantity, line.unit_price) for line in order.lines], order.discount_pct, order.commission_pct
    )
    for line, priced in zip(order.lines, totals.lines, strict=True):
        line.line_subtotal, line.discount_amount, line.line_total = (
            priced.line_subtotal,
            priced.discount_amount,
            priced.line_total,
        )
    order.subtotal, order.discount_amount, order.total = totals.subtotal, totals.discount_amount, totals.total
    order.commission_amount = totals.commission_amount
    order.cogs_total = sum((line.cogs_amount for line in order.lines), ZERO)


def _existing_for_key(session: Session, ctx: Context, draft: OrderDraft) -> Order | None:
    if draft.idempotency_key is None:
        return None
    order = session.scalars(
        select(Order)
        .where(Order.client_id == ctx.client_id, Order.idempotency_key == draft.idempotency_key)
        .options(selectinload(Order.lines))
    ).first()
    if order is not None and order.request_fingerprint != draft.fingerprint():
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a different order request")
    return order


def discount_approval(
    ctx: Context, policy: pricing.DiscountPolicy, pct: Decimal, clearance: Approval | None
) -> ApprovalStatus:
    """The discount rule: refused above the cap; above the auto-approval threshold only the owner
    may grant it (an owner's own order, or `clearance`: the owner's approval of exactly this
    discount); anyone else gets ApprovalRequired."""
    status = pricing.check_discount(policy, pct)
    if status is not ApprovalStatus.PENDING or ctx.role is Role.OWNER:
        return ApprovalStatus.APPROVED if status is ApprovalStatus.PENDING else status
    why = (
        f"a {pricing.percent_text(pct)}% discount is above the "
        f"{pricing.percent_text(policy.auto_approve_pct)}% this business allows without the owner"
    )
    require_clearance(clearance, ApprovalKind.DISCOUNT, why, discount_pct=str(pct))
    return ApprovalStatus.APPROVED


@dataclass(frozen=True)
class Quote:
    """What an order would cost now, and whether its discount needs the owner (`approval` is
    pending when this requester would need the owner's approval); nothing is taken."""

    variants: list[Variant]
    totals: pricing.OrderTotals
    approval: ApprovalStatus
    max_discount_pct: Decimal


def quote_order(session: Session, ctx: Context, lines: list[LineRequest], discount_pct: Decimal) -> Quote:
    """Price lines at current prices with a discount checked against the policy (refused above
    the cap). Stock is not checked or taken: `create_order` does that atomically."""
    scoped(session, ctx)
    wanted = merge_lines(lines)
    terms = tenancy.order_terms(session, ctx.client_id)
    approval = pricing.check_discount(terms.discount, Decimal(discount_pct))
    if approval is ApprovalStatus.PENDING and ctx.role is Role.OWNER:
        approval = ApprovalStatus.APPROVED
    variants = _sellable_variants(session, ctx, wanted)
    ordered = [variants[variant_id] for variant_id in wanted]
    totals = pricing.price_order(
        [(wanted[v.id], v.price) for v in ordered], Decimal(discount_pct), terms.commission_pct
    )
    return Quote(ordered, totals, approval, terms.discount.max_pct)


def check_available(quote: Quote) -> None:
    """Refuse a quote asking for more than is on hand now (before anyone is asked to confirm);
    `create_order` checks again atomically when it takes the stock."""
    for variant, line in zip(quote.variants, quote.totals.lines, strict=True):
        if line.quantity > variant.on_hand:
            left = (
                f"only {variant.on_hand} × {variant.sku} in stock"
                if variant.on_hand > 0
                else f"{variant.sku} is out of stock"
            )
            raise OutOfStock(
                f"{left}; cannot order {line.quantity}",
                sku=variant.sku,
                available=variant.on_hand,
                requested=line.quantity,
            )


def describe_draft(session: Session, ctx: Context, draft: OrderDraft) -> str:
    """An order request in one line, priced now: what the owner reads when asked to approve it."""
    quote = quote_order(session, ctx, draft.lines, Decimal(draft.discount_pct))
    items = ", ".join(
        f"{line.quantity} × {variant.product.name} ({variant.sku})"
        for variant, line in zip(quote.variants, quote.totals.lines, strict=True)
    )
    return f"Order {items} at {pricing.percent_text(Decimal(draft.discount_pct))}% off, total {quote.totals.total}."


def create_order(
    session: Session,
    ctx: Context,
    draft: OrderDraft,
    *,
    clearance: Approval | None = None,
    past_prices: Mapping[uuid.UUID, Decimal] | None = None,
) -> Order:
    """Create a pending order, taking stock for every line or for none.

    The discount is checked against the client's cap (refused above it, owner approval above the
    auto-approval threshold, unless `clearance` is the owner's approved request for exactly this
    discount); prices and average costs are snapshotted; commission is computed; the sale is
    posted to the journal. A repeated idempotency key returns the first order. `past_prices`
    (an imported past order's unit prices by variant) is the owner's to give, never a channel's.
    """
    scoped(session, ctx)
    if past_prices and not (ctx.role is Role.OWNER and ctx.channel is Channel.SYSTEM):
        raise Forbidden("prices come from the catalog; only an import of past orders brings its own")
    if draft.idempotency_key is not None and not (0 < len(draft.idempotency_key) <= 200):
        raise ValidationFailed("an idempotency key has 1 to 200 characters")
    existing = _existing_for_key(session, ctx, draft)
    if existing is not None:
        return existing
    if draft.payment_status not in (PaymentStatus.PAID, PaymentStatus.UNPAID):
        raise ValidationFailed("a new order is either paid or unpaid")
    _check_payment_method(draft.payment_method)
    wanted = merge_lines(draft.lines)
    terms = tenancy.order_terms(session, ctx.client_id)
    approval = discount_approval(ctx, terms.discount, Decimal(draft.discount_pct), clearance)
    customer_id = _customer_for(session, ctx, draft.customer_id)
    delivery_text, delivery_address_id = _delivery_for(session, ctx, customer_id, draft)
    credit_used = _credit_for(customer_id, Decimal(draft.store_credit_amount))
    order_id = uuid.uuid4()
    # A one-line order without store credit writes nothing before its one guarded take, which takes
    # all or nothing: it has no partial writes to undo, and spares the savepoint's two round trips.
    undo = nullcontext() if len(wanted) == 1 and not credit_used else session.begin_nested()
    try:
        with undo:
            taken = _take_stock(session, ctx, wanted, Reference("order", order_id), draft.created_at)
            order = Order(
                id=order_id,
                client_id=ctx.client_id,
                status=OrderStatus.PENDING,
                channel=ctx.channel,
                customer_id=customer_id,
                created_by_user_id=ctx.user_id,
                payment_method=draft.payment_method,
                payment_status=draft.payment_status,
                delivery_address=delivery_text,
                delivery_address_id=delivery_address_id,
                note=draft.note,
                discount_pct=Decimal(draft.discount_pct),
                commission_pct=terms.commission_pct,
                discount_approval=approval,
                idempotency_key=draft.idempotency_key,
                request_fingerprint=draft.fingerprint() if draft.idempotency_key else None,
                **({"created_at": draft.created_at} if draft.created_at else {}),
            )
            order.lines = [
                OrderLine(
                    client_id=ctx.client_id,
                    variant_id=variant_id,
                    position=position,
                    sku=taken[variant_id].sku,
                    product_name=taken[variant_id].product_name,
                    quantity=wanted[variant_id],
                    unit_price=(past_prices or {}).get(variant_id, taken[variant_id].price),
                    unit_cost=taken[variant_id].movement.unit_cost,
                    cogs_amount=-taken[variant_id].movement.value,
                )
                for position, variant_id in enumerate(wanted)
            ]
            _apply_totals(order)
            order.store_credit_amount = credit_used
            _check_credit_covered(order)
            if credit_used:
                if credit_used == order.total:
                    order.payment_status = PaymentStatus.PAID
                assert customer_id is not None
                store_credit.move(
                    session, ctx, customer_id, -credit_used, CreditKind.ORDER_PAYMENT, reference=("order", order_id)
                )
        order.created_at = order.created_at or utcnow()  # the journal entry shares it
        movements = [sale.movement for sale in taken.values()]
        entry = journal.entry(
            ctx,
            "sale",
            _revenue_postings(order) + stock_postings(movements),
            memo="order #",  # + the number, which the insert takes
            reference=("order", order.id),
            occurred_at=order.created_at,
        )
        # After the savepoint: one statement fails whole, and leaves the transaction to roll back.
        _insert_numbered(session, order, entry, movements)
    except IntegrityError as exc:
        if "idempotency_key" in str(exc.orig):
            raise Conflict("an order with this Idempotency-Key is being created right now; retry shortly") from None
        raise
    return order


def _order_query(ctx: Context) -> Select[tuple[Order]]:
    query = select(Order).where(Order.client_id == ctx.client_id)
    if ctx.role is Role.CUSTOMER:
        query = query.where(Order.customer_id == ctx.customer_id)
    return query


def get_order(session: Session, ctx: Context, order_id: uuid.UUID, *, for_update: bool = False) -> Order:
    """One order with its lines; a customer only sees their own."""
    query = _order_query(ctx).where(Order.id == order_id).options(selectinload(Order.lines))
    if for_update:
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    order = scoped(session, ctx).scalars(query).first()
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def get_order_by_number(session: Session, ctx: Context, number: int) -> Order:
    """One order by its human number (#1042)."""
    order = (
        scoped(session, ctx)
        .scalars(_order_query(ctx).where(Order.number == number).options(selectinload(Order.lines)))
        .first()
    )
    if order is None:
        raise NotFound(f"order #{number} not found")
    return order


@dataclass(frozen=True)
class OrderFilter:
    """Optional filters for listing orders."""

    status: OrderStatus | None = None
    customer_id: uuid.UUID | None = None
    channel: Channel | None = None
    number: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_orders(
    session: Session, ctx: Context, filters: OrderFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[Order], int]:
    """Orders newest first with lines (two queries) and the total count."""
    f = filters or OrderFilter()
    query = _order_query(ctx)
    for column, value in (
        (Order.status, f.status),
        (Order.customer_id, f.customer_id),
        (Order.channel, f.channel),
        (Order.number, f.number),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.since:
        query = query.where(Order.created_at >= f.since)
    if f.until:
        query = query.where(Order.created_at < f.until)
    scoped(session, ctx)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Order.created_at.desc(), Order.number.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Order.lines))
    )
    return list(items), total


def _require_sensitive_clearance(ctx: Context, order: Order, action: str) -> None:
    """Changing a confirmed order is sensitive: staff/owner with a verified second factor."""
    if order.status is OrderStatus.PENDING:
        return
    ctx.require_staff(action=f"{action} a {order.status.value} order")
    if not ctx.second_factor_verified:
        raise Forbidden(f"{action} a {order.status.value} order needs a second factor (X-2FA-Code)")


def confirm_order(session: Session, ctx: Context, order_id: uuid.UUID, *, at: datetime | None = None) -> Order:
    """pending → confirmed (at `at`, default now), once any discount above the threshold has been decided."""
    ctx.require_staff(action="confirming an order")
    order = get_order(session, ctx, order_id, for_update=True)
    check_transition(order, OrderStatus.CONFIRMED)
    order.status, order.confirmed_at = OrderStatus.CONFIRMED, at or utcnow()
    session.flush()
    messaging.order_news(session, ctx, order, "confirmed", at=order.confirmed_at)
    return order


def deliver_order(session: Session, ctx: Context, order_id: uuid.UUID, *, at: datetime | None = None) -> Order:
    """confirmed → delivered; the return window starts now."""
    ctx.require_staff(action="marking an order delivered")
    order = get_order(session, ctx, order_id, for_update=True)
    check_transition(order, OrderStatus.DELIVERED)
    order.status, order.delivered_at = OrderStatus.DELIVERED, at or utcnow()
    session.flush()
    messaging.order_news(session, ctx, order, "delivered", at=order.delivered_at)
    return order


def mark_paid(session: Session, ctx: Context, order_id: uuid.UUID, *, at: datetime | None = None) -> Order:
    """Record the payment of an unpaid order (received at `at`, default now): receivables become cash."""
    ctx.require_staff(action="recording a payment")
    order = get_order(session, ctx, order_id, for_update=True)
    if order.payment_status is not PaymentStatus.UNPAID or order.status is OrderStatus.CANCELLED:
        raise InvalidTransition(f"order #{order.number} is {order.payment_status.value}; nothing to collect")
    order.payment_status = PaymentStatus.PAID
    due = order.total - order.store_credit_amount
    journal.post(
        session,
        ctx,
        "payment",
        [debit(Account.CASH, due), credit(Account.RECEIVABLES, due)],
        memo=f"payment for order #{order.number}",
        reference=("order", order.id),
        occurred_at=at,
    )
    return order


def cancel_order(
    session: Session,
    ctx: Context,
    order_id: uuid.UUID,
    reason: str = "",
    *,
    clearance: Approval | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> Order:
    """Cancel an order (at `at`, default now): restock and reverse the sale. A pending order anyone
    may cancel (a customer their own); a confirmed one only the owner with a verified second factor,
    or anyone with `clearance` (the owner's approval to cancel exactly this order). Retry-safe with a key."""
    return idempotency.once(
        session,
        ctx,
        idempotency_key,
        "cancel_order",
        {"order_id": order_id},
        lambda: _cancel(session, ctx, order_id, reason, clearance, at or utcnow()),
        lambda order: order.id,
        lambda found: get_order(session, ctx, uuid.UUID(found)),
    )


def check_cancellable(ctx: Context, order: Order, clearance: Approval | None) -> None:
    """Raise unless `ctx` may cancel `order` now (ApprovalRequired when only the owner may)."""
    check_transition(order, OrderStatus.CANCELLED)
    if order.status is OrderStatus.PENDING or (ctx.role is Role.OWNER and ctx.second_factor_verified):
        return
    if ctx.role is Role.OWNER and clearance is None:  # owners do not ask themselves
        raise Forbidden(f"cancelling a {order.status.value} order needs your second factor (X-2FA-Code)")
    why = f"order #{order.number} is {order.status.value}: only the owner with a second factor cancels it"
    require_clearance(clearance, ApprovalKind.CANCEL_CONFIRMED_ORDER, why, order_id=str(order.id))


def _cancel(
    session: Session, ctx: Context, order_id: uuid.UUID, reason: str, clearance: Approval | None, at: datetime
) -> Order:
    order = get_order(session, ctx, order_id, for_update=True)
    check_cancellable(ctx, order, clearance)
    movements = [
        inventory.restock(
            session,
            ctx,
            line.variant_id,
            line.quantity,
            line.unit_cost,
            MovementKind.CANCELLATION,
            Reference("order", order.id),
            at=at,
        )
        for line in sorted(order.lines, key=lambda line: line.variant_id)
    ]
    journal.post(
        session,
        ctx,
        "cancellation",
        reversed_postings(_revenue_postings(order)) + stock_postings(movements),
        memo=f"order #{order.number} cancelled",
        reference=("order", order.id),
        occurred_at=at,
    )
    if order.store_credit_amount:
        assert order.customer_id is not None
        store_credit.move(
            session,
            ctx,
            order.customer_id,
            order.store_credit_amount,
            CreditKind.ORDER_CANCELLED,
            reference=("order", order.id),
        )
    order.status, order.cancelled_at, order.cancel_reason = OrderStatus.CANCELLED, at, reason
    if order.payment_status is PaymentStatus.PAID:
        order.payment_status, order.refunded_amount = PaymentStatus.REFUNDED, order.total
    audit.record(
        session,
        ctx,
        audit.Action.ORDER_CANCELLED,
        target=("order", order.id),
        detail={
            "order_number": order.number,
            "reason": reason,
            "was": "pending" if not order.confirmed_at else "confirmed",
        },
    )
    session.flush()
    messaging.order_news(session, ctx, order, "cancelled", at=order.cancelled_at)
    return order


@dataclass(frozen=True)
class OrderChanges:
    """Edits to an order that is not yet delivered; None means unchanged."""

    lines: list[LineRequest] | None = None
    delivery_address: str | None = None
    payment_method: PaymentMethod | None = None
    note: str | None = None


def update_order(
    session: Session, ctx: Context, order_id: uuid.UUID, changes: OrderChanges, *, idempotency_key: str | None = None
) -> Order:
    """Change address, payment method, note or items of a pending order (confirmed: sensitive).

    Item changes re-balance stock per variant (take more or put back at the line's cost), keep
    the discount percentage, recompute totals and re-post the sale. Retry-safe with a key.
    """
    return idempotency.once(
        session,
        ctx,
        idempotency_key,
        "update_order",
        {"order_id": order_id, **asdict(changes)},
        lambda: _update(session, ctx, order_id, changes),
        lambda order: order.id,
        lambda found: get_order(session, ctx, uuid.UUID(found)),
    )


def _edit_state(order: Order) -> dict[str, object]:
    """What an audit event keeps of an order's editable fields and totals."""
    return {
        "status": order.status.value,
        "delivery_address": order.delivery_address,
        "payment_method": order.payment_method.value,
        "note": order.note,
        "lines": {str(line.variant_id): line.quantity for line in order.lines},
        "total": str(order.total),
    }


def _update(session: Session, ctx: Context, order_id: uuid.UUID, changes: OrderChanges) -> Order:
    order = get_order(session, ctx, order_id, for_update=True)
    check_editable(ctx, order)
    before = _edit_state(order)
    if changes.delivery_address is not None:
        order.delivery_address = changes.delivery_address
    if changes.payment_method is not None:
        _check_payment_method(changes.payment_method)
        order.payment_method = changes.payment_method
    if changes.note is not None:
        order.note = changes.note
    if changes.lines is not None:
        with session.begin_nested():
            _rebalance_lines(session, ctx, order, merge_lines(changes.lines))
    session.flush()
    after = _edit_state(order)
    audit.record(
        session,
        ctx,
        audit.Action.ORDER_EDITED,
        target=("order", order.id),
        detail={
            "order_number": order.number,
            "fields": [k for k, v in asdict(changes).items() if v is not None],
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
    )
    return order


@dataclass(frozen=True)
class ChangeQuote:
    """What an item change would make of an order; nothing is written or locked."""

    order: Order
    lines: list[tuple[str, str, int]]
    totals: pricing.OrderTotals


def quote_changes(session: Session, ctx: Context, order_id: uuid.UUID, lines: list[LineRequest]) -> ChangeQuote:
    """Price the order as it would be with exactly `lines` (kept lines at their price, new SKUs at
    today's, the order's discount) and check the extra units are in stock, reading only."""
    order = get_order(session, ctx, order_id)
    check_editable(ctx, order)
    wanted = merge_lines(lines)
    current = {line.variant_id: line for line in order.lines}
    variants = _sellable_variants(session, ctx, wanted)
    rows: list[tuple[str, str, int]] = []
    priced: list[tuple[int, Decimal]] = []
    for variant_id, quantity in wanted.items():
        variant, line = variants[variant_id], current.get(variant_id)
        extra = quantity - (line.quantity if line else 0)
        if extra > variant.on_hand:
            raise OutOfStock(
                f"only {variant.on_hand} more × {variant.sku} in stock; cannot add {extra}", sku=variant.sku
            )
        rows.append((variant.sku, variant.product.name, quantity))
        priced.append((quantity, line.unit_price if line else variant.price))
    totals = pricing.price_order(priced, order.discount_pct, order.commission_pct)
    return ChangeQuote(order, rows, totals)


def check_editable(ctx: Context, order: Order) -> None:
    """Raise unless `ctx` may edit `order` now: pending, or confirmed with a second factor."""
    if order.status not in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        raise InvalidTransition(f"order #{order.number} is {order.status.value}; it can no longer be edited")
    _require_sensitive_clearance(ctx, order, "editing")


def _rebalance_lines(session: Session, ctx: Context, order: Order, wanted: dict[uuid.UUID, int]) -> None:
    before = _revenue_postings(order)
    current = {line.variant_id: line for line in order.lines}
    variants = _sellable_variants(session, ctx, [v for v in wanted if v not in current])
    movements: list[StockMovement] = []
    reference = Reference("order", order.id)
    for variant_id in sorted(set(current) | set(wanted)):
        line, quantity = current.get(variant_id), wanted.get(variant_id, 0)
        delta = quantity - (line.quantity if line else 0)
        if delta > 0:
            movement = inventory.issue_stock(session, ctx, variant_id, delta, MovementKind.SALE, reference=reference)
            if line is None:
                variant = variants[variant_id]
                line = OrderLine(
                    client_id=ctx.client_id,
                    variant_id=variant_id,
                    position=len(order.lines),
                    sku=variant.sku,
                    product_name=variant.product.name,
                    quantity=0,
                    unit_price=variant.price,
                    unit_cost=movement.unit_cost,
                    cogs_amount=ZERO,
                    line_subtotal=ZERO,  # priced by _apply_totals below
                    discount_amount=ZERO,
                    line_total=ZERO,
                )
                order.lines.append(line)
            line.quantity += delta
            line.cogs_amount -= movement.value
            line.unit_cost = unit_cost(line.cogs_amount / line.quantity)
        elif delta < 0 and line is not None:
            movement = inventory.restock(
                session, ctx, variant_id, -delta, line.unit_cost, MovementKind.CANCELLATION, reference
            )
            line.cogs_amount -= movement.value
            line.quantity += delta
            if line.quantity == 0:
                order.lines.remove(line)
            else:
                line.unit_cost = unit_cost(line.cogs_amount / line.quantity)
        else:
            continue
        movements.append(movement)
    _apply_totals(order)
    _check_credit_covered(order)
    session.flush()
    journal.post(
        session,
        ctx,
        "sale_revision",
        reversed_postings(before) + _revenue_postings(order) + stock_postings(movements),
        memo=f"order #{order.number} items changed",
        reference=("order", order.id),
    )
