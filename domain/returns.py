"""Returns and exchanges of delivered lines, within the client's return window."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from domain import idempotency, inventory, journal, messaging, orders, pricing, store_credit, tenancy
from domain.context import Context, scoped
from domain.errors import InvalidTransition, NotFound, OutOfStock, PolicyViolation, ValidationFailed
from domain.inventory import Reference
from domain.journal import Posting, credit, debit
from domain.models import (
    Account,
    CreditKind,
    ItemCondition,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    RefundMethod,
    Return,
    ReturnKind,
    ReturnLine,
    Variant,
)
from domain.models.base import utcnow
from domain.money import ZERO, cents

RETURNABLE = (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_RETURNED)


@dataclass(frozen=True)
class ReturnItem:
    """Units of one order line coming back; `replacement_variant_id` makes it an exchange."""

    order_line_id: uuid.UUID
    quantity: int
    condition: ItemCondition = ItemCondition.RESELLABLE
    replacement_variant_id: uuid.UUID | None = None


def check_window(order: Order, window_days: int, now: datetime) -> None:
    """Raise unless `order` is delivered and `now` is within its return window."""
    if order.status not in RETURNABLE:
        raise InvalidTransition(f"order #{order.number} is {order.status.value}; only delivered orders take returns")
    assert order.delivered_at is not None
    deadline = order.delivered_at + timedelta(days=window_days)
    if now > deadline:
        raise PolicyViolation(
            f"the {window_days}-day return window for order #{order.number} ended on {deadline.date().isoformat()}",
            return_window_days=window_days,
        )


def lines_by_id(order: Order, items: list[ReturnItem]) -> dict[uuid.UUID, OrderLine]:
    """The order's lines by id, once every item names one of them and no more than can still come back."""
    if not items:
        raise ValidationFailed("name at least one line to return")
    lines = {line.id: line for line in order.lines}
    asked: dict[uuid.UUID, int] = {}
    for item in items:
        line = lines.get(item.order_line_id)
        if line is None:
            raise NotFound(f"line {item.order_line_id} is not on order #{order.number}")
        asked[line.id] = asked.get(line.id, 0) + inventory.validate_quantity(item.quantity)
        left = line.quantity - line.returned_quantity
        if asked[line.id] > left:
            raise ValidationFailed(f"only {left} × {line.sku} from order #{order.number} can still come back")
    return lines


def _stock_back(
    session: Session, ctx: Context, line: OrderLine, item: ReturnItem, ref: Reference, at: datetime
) -> list[Posting]:
    """Restock at the line's cost (at `at`), or write the units' cost off when damaged."""
    if item.condition is ItemCondition.RESELLABLE:
        movement = inventory.restock(
            session, ctx, line.variant_id, item.quantity, line.unit_cost, MovementKind.RETURN, ref, at=at
        )
        return orders.stock_postings([movement])
    cost = pricing.refund_for(item.quantity, line.quantity, line.cogs_amount, line.returned_quantity)
    return [debit(Account.INVENTORY_WRITE_OFF, cost), credit(Account.COGS, cost)]


def _replacement(session: Session, ctx: Context, line: OrderLine, variant_id: uuid.UUID) -> Variant:
    variant = session.scalars(
        select(Variant)
        .where(Variant.id == variant_id, Variant.client_id == ctx.client_id, Variant.is_active.is_(True))
        .options(joinedload(Variant.product))
    ).first()
    original_product = session.scalar(select(Variant.product_id).where(Variant.id == line.variant_id))
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    if variant.product_id != original_product or variant.id == line.variant_id:
        raise ValidationFailed(f"{line.sku} can only be exchanged for another variant of the same product")
    return variant


def _check_request(
    session: Session, ctx: Context, order: Order, items: list[ReturnItem], now: datetime | None
) -> tuple[ReturnKind, dict[uuid.UUID, OrderLine]]:
    client = tenancy.get_client(scoped(session, ctx), ctx.client_id)
    check_window(order, client.return_window_days, now or utcnow())
    lines = lines_by_id(order, items)
    exchanges = [item.replacement_variant_id is not None for item in items]
    if any(exchanges) and not all(exchanges):
        raise ValidationFailed("send returns and exchanges as separate requests")
    return (ReturnKind.EXCHANGE if all(exchanges) else ReturnKind.RETURN), lines


@dataclass(frozen=True)
class ReturnQuote:
    """What a return or exchange would give back or cost; nothing is written."""

    order: Order
    kind: ReturnKind
    items: list[tuple[OrderLine, int]]
    refund_amount: Decimal
    charge_amount: Decimal


def quote_return(
    session: Session, ctx: Context, order_id: uuid.UUID, items: list[ReturnItem], *, now: datetime | None = None
) -> ReturnQuote:
    """Price a return or exchange with the same checks as `create_return` (window, quantities,
    exchange rules, the replacement's stock), reading only: no row is written or locked."""
    order = orders.get_order(session, ctx, order_id)
    kind, lines = _check_request(session, ctx, order, items, now)
    refund = charge = ZERO
    returned = {line_id: line.returned_quantity for line_id, line in lines.items()}
    for item in items:
        line = lines[item.order_line_id]
        net = pricing.refund_for(item.quantity, line.quantity, line.line_total, returned[line.id])
        returned[line.id] += item.quantity
        if item.replacement_variant_id is None:
            refund += net
            continue
        variant = _replacement(session, ctx, line, item.replacement_variant_id)
        if variant.on_hand < item.quantity:
            raise OutOfStock(f"only {variant.on_hand} × {variant.sku} in stock", sku=variant.sku)
        difference = cents(variant.price * item.quantity) - net
        refund, charge = refund + max(-difference, ZERO), charge + max(difference, ZERO)
    wanted = [(lines[item.order_line_id], item.quantity) for item in items]
    return ReturnQuote(order, kind, wanted, refund, charge)


def create_return(
    session: Session,
    ctx: Context,
    order_id: uuid.UUID,
    items: list[ReturnItem],
    *,
    reason: str = "",
    now: datetime | None = None,
    refund_owed: bool = False,
    refund_method: RefundMethod = RefundMethod.ORIGINAL,
    idempotency_key: str | None = None,
) -> Return:
    """Take back delivered units within the return window, at `now` (default the present): refund or exchange them.

    A refund is each line's net (after-discount) share, paid by `refund_method`: `original` gives
    the store credit the order used back first and pays the rest the way the order was paid,
    `cash` pays it all in cash, `store_credit` adds it all to the customer's credit. With
    `refund_owed` the part not given as credit is owed (a credit on receivables) until paid out.
    An exchange swaps for another variant of the same product (stock checked) and charges or
    refunds the price difference. Returning more than was sold is refused. Retry-safe with a key.
    """
    return idempotency.once(
        session,
        ctx,
        idempotency_key,
        "create_return",
        {
            "order_id": order_id,
            "items": [asdict(item) for item in items],
            "reason": reason,
            "owed": refund_owed,
            "method": refund_method.value,
        },
        lambda: _create(session, ctx, order_id, items, reason, now or utcnow(), refund_owed, refund_method),
        lambda record: record.id,
        lambda found: get_return(session, ctx, uuid.UUID(found)),
    )


def _create(
    session: Session,
    ctx: Context,
    order_id: uuid.UUID,
    items: list[ReturnItem],
    reason: str,
    now: datetime,
    refund_owed: bool,
    method: RefundMethod,
) -> Return:
    order = orders.get_order(session, ctx, order_id, for_update=True)
    kind, lines = _check_request(session, ctx, order, items, now)
    _check_method(order, kind, method)
    record = Return(
        id=uuid.uuid4(),
        client_id=ctx.client_id,
        order_id=order.id,
        kind=kind,
        reason=reason,
        refund_amount=ZERO,
        refund_method=REFUND_METHODS.get(method, order.payment_method),
        created_by_user_id=ctx.user_id,
        channel=ctx.channel,
        created_at=now,
    )
    ref = Reference("return", record.id)
    postings: list[Posting] = []
    paid = order.payment_status is not PaymentStatus.UNPAID
    settle = Account.CASH if paid and not refund_owed else Account.RECEIVABLES
    with session.begin_nested():
        for item in items:
            line = lines[item.order_line_id]
            net_share = pricing.refund_for(item.quantity, line.quantity, line.line_total, line.returned_quantity)
            postings += _stock_back(session, ctx, line, item, ref, now)
            return_line = ReturnLine(
                client_id=ctx.client_id,
                order_line_id=line.id,
                quantity=item.quantity,
                condition=item.condition,
                refund_amount=net_share,
                price_difference=ZERO,
            )
            if item.replacement_variant_id is None:
                postings.append(debit(Account.REFUNDS, net_share))
            else:
                variant = _replacement(session, ctx, line, item.replacement_variant_id)
                issued = inventory.issue_stock(
                    session, ctx, variant.id, item.quantity, MovementKind.SALE, reference=ref
                )
                new_amount = cents(variant.price * item.quantity)
                difference = new_amount - net_share
                return_line.replacement_variant_id = variant.id
                return_line.price_difference = difference
                return_line.refund_amount = max(-difference, ZERO)
                postings += [
                    debit(Account.REFUNDS, net_share),
                    credit(Account.REVENUE, new_amount),
                    debit(settle, difference),
                ]
                postings += orders.stock_postings([issued])
            line.returned_quantity += item.quantity
            record.lines.append(return_line)
        record.refund_amount = sum((rl.refund_amount for rl in record.lines), ZERO)
        record.charge_amount = sum((max(rl.price_difference, ZERO) for rl in record.lines), ZERO)
        if kind is ReturnKind.RETURN:
            record.store_credit_amount = _credit_share(order, method, record.refund_amount)
            postings += [
                credit(Account.STORE_CREDIT, record.store_credit_amount),
                credit(settle, record.refund_amount - record.store_credit_amount),
            ]
            postings += _reverse_commission(order, record.refund_amount)
            _settle_order(order, record.refund_amount)
            _give_credit(session, ctx, order, record)
        session.add(record)
        session.flush()
        journal.post(
            session,
            ctx,
            kind.value,
            postings,
            memo=f"{kind.value} against order #{order.number}",
            reference=("return", record.id),
            occurred_at=now,
        )
    if settle is Account.CASH and record.refund_amount > 0:
        messaging.order_news(session, ctx, order, "refund_paid", record.refund_amount, ref=str(record.id), at=now)
    return record


REFUND_METHODS = {RefundMethod.CASH: PaymentMethod.CASH, RefundMethod.STORE_CREDIT: PaymentMethod.STORE_CREDIT}
"""How a return records its refund method; `original` records the order's payment method."""


def _check_method(order: Order, kind: ReturnKind, method: RefundMethod) -> None:
    if method is RefundMethod.ORIGINAL:
        return
    if kind is ReturnKind.EXCHANGE:
        raise ValidationFailed("an exchange settles its price difference the original way (refund_method original)")
    if order.payment_status is PaymentStatus.UNPAID:
        raise ValidationFailed(
            f"order #{order.number} is unpaid: its refund lowers what is owed (refund_method original)"
        )
    if method is RefundMethod.STORE_CREDIT and order.customer_id is None:
        raise ValidationFailed(f"order #{order.number} has no customer to hold store credit")


def _credit_share(order: Order, method: RefundMethod, refund: Decimal) -> Decimal:
    """The part of a refund given as store credit: all of it, none, or (original) the credit the
    order used and has not had back yet, first."""
    if method is RefundMethod.STORE_CREDIT:
        return refund
    if method is RefundMethod.CASH:
        return ZERO
    return max(ZERO, min(refund, order.store_credit_amount - order.store_credit_refunded))


def _give_credit(session: Session, ctx: Context, order: Order, record: Return) -> None:
    if not record.store_credit_amount:
        return
    assert order.customer_id is not None
    order.store_credit_refunded += record.store_credit_amount
    store_credit.move(
        session,
        ctx,
        order.customer_id,
        record.store_credit_amount,
        CreditKind.REFUND,
        reference=("return", record.id),
    )


def _reverse_commission(order: Order, refund: Decimal) -> list[Posting]:
    share = cents(order.commission_amount * refund / order.total) if order.total else ZERO
    return [debit(Account.COMMISSION_PAYABLE, share), credit(Account.COMMISSION_EXPENSE, share)]


def _settle_order(order: Order, refund: Decimal) -> None:
    order.refunded_amount += refund
    fully_back = all(line.returned_quantity == line.quantity for line in order.lines)
    target = OrderStatus.RETURNED if fully_back else OrderStatus.PARTIALLY_RETURNED
    orders.check_transition(order, target)
    order.status = target
    if order.payment_status is not PaymentStatus.UNPAID:
        order.payment_status = PaymentStatus.REFUNDED if fully_back else PaymentStatus.PARTIALLY_REFUNDED


def get_return(session: Session, ctx: Context, return_id: uuid.UUID) -> Return:
    """One return with its lines (a customer only sees returns of their own orders)."""
    query = select(Return).where(Return.id == return_id, Return.client_id == ctx.client_id)
    found = scoped(session, ctx).scalars(query.options(selectinload(Return.lines))).first()
    if found is None:
        raise NotFound(f"return {return_id} not found")
    orders.get_order(session, ctx, found.order_id)  # enforces a customer's own-order scope
    return found


def _returns_where(ctx: Context, order_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    conditions = [Return.client_id == ctx.client_id]
    if order_id:
        conditions.append(Return.order_id == order_id)
    return conditions


def list_returns(
    session: Session, ctx: Context, *, order_id: uuid.UUID | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Return], int]:
    """Returns, newest first, with their lines, and how many there are."""
    ctx.require_staff(action="listing returns")
    where = _returns_where(ctx, order_id)
    total = scoped(session, ctx).scalar(select(func.count(Return.id)).where(*where)) or 0
    query = select(Return).where(*where)
    query = query.order_by(Return.created_at.desc()).limit(limit).offset(offset).options(selectinload(Return.lines))
    return list(session.scalars(query)), total
