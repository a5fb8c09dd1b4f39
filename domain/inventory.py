"""Inventory: the append-only stock ledger, weighted-average cost and FIFO receipt layers.

Every change of a variant's stock inserts a StockMovement and updates `on_hand`/`avg_cost` in the
same transaction; the journal receives exactly the change in book value (see `costing`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Numeric, Select, bindparam, cast, exists, func, select, update
from sqlalchemy.orm import Session

from domain import audit, catalog, costing, idempotency, journal
from domain.clearance import require_clearance
from domain.context import Context, scoped
from domain.errors import DomainError, NotFound, OutOfStock, ValidationFailed
from domain.journal import credit, debit
from domain.models import (
    Account,
    Approval,
    ApprovalKind,
    Client,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ReceiptLayer,
    Role,
    StockMovement,
    Variant,
)
from domain.models.base import utcnow
from domain.money import HUNDRED, MAX_UNIT_COST, cents, check_money, unit_cost

MAX_QUANTITY = 1_000_000


def _client(session: Session, ctx: Context) -> Client:
    client = scoped(session, ctx).get(Client, ctx.client_id)
    if client is None:
        raise NotFound(f"client {ctx.client_id!r} does not exist")
    return client


def adjusted_today(session: Session, ctx: Context, variant_id: uuid.UUID, timezone: str) -> int:
    """Units (either way) by which the variant's count was adjusted since the shop's local midnight."""
    local_now = utcnow().astimezone(ZoneInfo(timezone))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    total = session.scalar(
        select(func.coalesce(func.sum(func.abs(StockMovement.quantity)), 0)).where(
            StockMovement.client_id == ctx.client_id,
            StockMovement.variant_id == variant_id,
            StockMovement.kind == MovementKind.ADJUSTMENT,
            StockMovement.created_at >= midnight,
        )
    )
    return int(total or 0)


def check_adjustment(ctx: Context, delta: int) -> None:
    """Who may adjust and by what: owners and staff, a non-zero whole number of units."""
    ctx.require_staff(action="adjusting stock")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed("the adjustment must be a non-zero whole number of units")
    validate_quantity(abs(delta), what="adjustment")


def check_daily_adjustments(
    session: Session, ctx: Context, variant_id: uuid.UUID, delta: int, clearance: Approval | None
) -> None:
    """The adjustment threshold: staff need the owner (or `clearance`, the owner's approval of
    exactly this adjustment) once the variant's adjustments of the shop's local day, this one
    included, exceed the business's `daily_adjustment_approval_units`, so several small ones
    cannot dodge it. Call it with the variant locked, so concurrent adjustments count in turn."""
    if ctx.role is Role.OWNER and clearance is None:
        return
    client = _client(session, ctx)
    limit = client.daily_adjustment_approval_units
    earlier = adjusted_today(session, ctx, variant_id, client.timezone)
    if earlier + abs(delta) > limit or clearance is not None:
        why = (
            f"adjusting stock by {delta:+d} units ({earlier} already adjusted today; "
            f"more than {limit} a day per variant)"
        )
        require_clearance(clearance, ApprovalKind.STOCK_ADJUSTMENT, why, variant_id=str(variant_id), delta=delta)


def check_receipt_cost(
    ctx: Context, variant: Variant, cost: Decimal, band_pct: Decimal, clearance: Approval | None, quantity: int
) -> None:
    """The receipt rule: staff receiving at a unit cost more than `band_pct` % away from the
    variant's current average cost need the owner (or `clearance`, the owner's approval of exactly
    this receipt). A variant with no average yet (never received) accepts any cost."""
    if ctx.role is Role.OWNER and clearance is None:
        return
    average = variant.avg_cost
    outside = average > 0 and abs(cost - average) * HUNDRED > average * band_pct
    if outside or clearance is not None:
        why = f"receiving {variant.sku} at {cost} a unit, more than {band_pct}% away from its average cost {average}"
        require_clearance(
            clearance,
            ApprovalKind.STOCK_RECEIPT,
            why,
            variant_id=str(variant.id),
            quantity=quantity,
            unit_cost=str(cost),
        )


@dataclass(frozen=True)
class Reference:
    """What caused a movement (an order, a return, …)."""

    type: str
    id: uuid.UUID


def validate_quantity(quantity: object, *, what: str = "quantity") -> int:
    """A whole, positive, sane number of units."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationFailed(f"{what} must be a whole number of units")
    if quantity <= 0:
        raise ValidationFailed(f"{what} must be at least 1")
    if quantity > MAX_QUANTITY:
        raise ValidationFailed(f"{what} must be at most {MAX_QUANTITY}")
    return quantity


def _validate_cost(cost: Decimal) -> Decimal:
    if not isinstance(cost, Decimal) or not cost.is_finite() or cost < 0:
        raise ValidationFailed("unit cost must be a non-negative decimal amount")
    if unit_cost(cost) != cost:
        raise ValidationFailed("unit cost has at most 4 decimal places")
    if cost > MAX_UNIT_COST:
        raise ValidationFailed(f"unit cost must be at most {MAX_UNIT_COST}")
    return cost


def _locked_variant(session: Session, ctx: Context, variant_id: uuid.UUID) -> Variant:
    variant = (
        scoped(session, ctx)
        .scalars(
            select(Variant)
            .where(Variant.id == variant_id, Variant.client_id == ctx.client_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .first()
    )
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    return variant


def _add_stock(
    session: Session,
    ctx: Context,
    variant: Variant,
    quantity: int,
    cost: Decimal,
    kind: MovementKind,
    *,
    reason: str = "",
    reference: Reference | None = None,
    at: datetime | None = None,
) -> StockMovement:
    """Put `quantity` units on a locked variant at `cost`: new average, movement, FIFO layer."""
    before_qty, before_avg = variant.on_hand, variant.avg_cost
    variant.on_hand = before_qty + quantity
    variant.avg_cost = costing.average_after_receipt(before_qty, before_avg, quantity, cost)
    when = at or utcnow()
    movement = StockMovement(
        client_id=ctx.client_id,
        variant_id=variant.id,
        kind=kind,
        quantity=quantity,
        unit_cost=cost,
        value=costing.value_change(before_qty, before_avg, variant.on_hand, variant.avg_cost),
        balance_after=variant.on_hand,
        avg_cost_after=variant.avg_cost,
        reason=reason,
        reference_type=reference.type if reference else None,
        reference_id=reference.id if reference else None,
        actor_user_id=ctx.user_id,
        created_at=when,
    )
    session.add(movement)
    session.flush()
    session.add(
        ReceiptLayer(
            client_id=ctx.client_id,
            variant_id=variant.id,
            movement_id=movement.id,
            received_at=when,
            quantity_received=quantity,
            quantity_remaining=quantity,
            unit_cost=cost,
        )
    )
    session.flush()
    return movement


def receive_stock(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    quantity: int,
    cost: Decimal,
    *,
    reason: str = "",
    received_at: datetime | None = None,
    clearance: Approval | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Receive purchased stock at `cost` per unit; posts inventory against cash and audits the
    average cost before and after. A cost far from the average needs the owner
    (`check_receipt_cost`). Retry-safe with a key."""
    ctx.require_staff(action="receiving stock")
    validate_quantity(quantity)
    _validate_cost(cost)
    check_money(quantity * cost, "the receipt's total (quantity × unit cost)")
    return idempotency.once(
        session,
        ctx,
        idempotency_key,
        "receive_stock",
        {"variant_id": variant_id, "quantity": quantity, "cost": cost},
        lambda: _receive(session, ctx, variant_id, quantity, cost, reason, received_at, clearance),
        lambda movement: movement.id,
        lambda found: get_movement(session, ctx, int(found)),
    )


def get_movement(session: Session, ctx: Context, movement_id: int) -> StockMovement:
    """One stock movement of this tenant."""
    movement = (
        scoped(session, ctx)
        .scalars(select(StockMovement).where(StockMovement.client_id == ctx.client_id, StockMovement.id == movement_id))
        .first()
    )
    if movement is None:
        raise NotFound(f"stock movement {movement_id} not found")
    return movement


def _receive(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    quantity: int,
    cost: Decimal,
    reason: str,
    received_at: datetime | None,
    clearance: Approval | None,
) -> StockMovement:
    variant = _locked_variant(session, ctx, variant_id)
    check_receipt_cost(ctx, variant, cost, _client(session, ctx).receipt_cost_band_pct, clearance, quantity)
    before = _stock_state(variant)
    check_money(cents((variant.on_hand + quantity) * max(variant.avg_cost, cost)), "the variant's stock value")
    movement = _add_stock(session, ctx, variant, quantity, cost, MovementKind.RECEIPT, reason=reason, at=received_at)
    paid = cents(quantity * cost)
    journal.post(
        session,
        ctx,
        "stock_receipt",
        # the inventory account moves by the valuation change; a sub-cent rounding residual goes to COGS
        [
            debit(Account.INVENTORY, movement.value),
            credit(Account.CASH, paid),
            debit(Account.COGS, paid - movement.value),
        ],
        memo=f"received {quantity} × {variant.sku} @ {cost}",
        reference=("variant", variant.id),
        occurred_at=movement.created_at,
    )
    audit.record(
        session,
        ctx,
        audit.Action.STOCK_RECEIVED,
        target=("variant", variant.id),
        detail={
            "sku": variant.sku,
            "quantity": quantity,
            "unit_cost": str(cost),
            "before": before,
            "after": _stock_state(variant),
            "approval_id": str(clearance.id) if clearance else None,
        },
    )
    return movement


def _stock_state(variant: Variant) -> dict[str, object]:
    """What an audit event keeps of a variant's stock: units on hand and average cost."""
    return {"on_hand": variant.on_hand, "avg_cost": str(variant.avg_cost)}


def restock(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    quantity: int,
    cost: Decimal,
    kind: MovementKind,
    reference: Reference,
    *,
    at: datetime | None = None,
) -> StockMovement:
    """Put sold units back (cancellation, return) at their original unit cost, at `at` (default now);
    the caller posts."""
    variant = _locked_variant(session, ctx, variant_id)
    return _add_stock(session, ctx, variant, quantity, cost, kind, reference=reference, at=at)


@dataclass(frozen=True)
class Taken:
    """Units taken out of stock: the variant as it was when taken, and the movement that records
    it, not yet written (`issue_stock` writes it; an order writes it with its own rows)."""

    sku: str
    product_name: str
    price: Decimal
    movement: StockMovement


_variants, _products, _layers = Variant.__table__.c, Product.__table__.c, ReceiptLayer.__table__.c
_OPEN_LAYERS = (
    select(_layers.id, _layers.quantity_remaining)
    .where(
        _layers.client_id == bindparam("client"),
        _layers.variant_id == bindparam("variant"),
        _layers.quantity_remaining > 0,
    )
    .order_by(_layers.received_at, _layers.id)
)
_TAKE_FROM_LAYER = (
    update(ReceiptLayer.__table__)
    .where(_layers.id == bindparam("layer"))
    .values(quantity_remaining=_layers.quantity_remaining - bindparam("quantity"))
)


def _take_statement(*only: ColumnElement[bool]) -> Select[tuple[int, Decimal, str, Decimal, str, bool]]:
    """The guarded decrement of a variant (`only` narrowing which may be taken) and, once it took,
    the same units from the oldest open receipt layer when that layer holds them all (as it
    usually does), in one statement: RETURNING the variant as taken, and whether the layer took.

    Concurrent takers cannot oversell: the variant's row lock is taken first (the layer's UPDATE
    waits for `taken`), and a layer another order emptied meanwhile fails its re-checked
    `quantity_remaining` and leaves the walk over the layers to `_consume_layers`."""
    taken = (
        update(Variant.__table__)
        .where(
            _variants.id == bindparam("variant"),
            _variants.client_id == bindparam("client"),
            _variants.on_hand >= bindparam("quantity"),
            _products.id == _variants.product_id,
            *only,
        )
        .values(on_hand=_variants.on_hand - bindparam("quantity"))
        .returning(_variants.on_hand, _variants.avg_cost, _variants.sku, _variants.price, _products.name)
        .cte("taken")
    )
    layer = (
        update(ReceiptLayer.__table__)
        .where(
            exists(taken.select()),
            _layers.id == _OPEN_LAYERS.with_only_columns(_layers.id).limit(1).scalar_subquery(),
            _layers.quantity_remaining >= bindparam("quantity"),
        )
        .values(quantity_remaining=_layers.quantity_remaining - bindparam("quantity"))
        .returning(_layers.id)
        .cte("oldest_layer")
    )
    return select(*taken.c, exists(layer.select()).label("whole_layer"))


_TAKE = _take_statement()
"""Built once each: Core statements on the tables, so no ORM machinery runs per call."""
_TAKE_SELLABLE = _take_statement(*catalog.SELLABLE)


def take_stock(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    quantity: int,
    kind: MovementKind,
    *,
    reference: Reference | None = None,
    reason: str = "",
    at: datetime | None = None,
    sellable: bool = False,
) -> Taken:
    """Take `quantity` units out at the average cost, oldest layers first; never below zero (and,
    if `sellable`, only of an active variant of an active product). The movement, dated `at`
    (default now), is the caller's to write; its `value` is the (negative) change in book value.
    """
    validate_quantity(quantity)
    params = {"variant": variant_id, "client": ctx.client_id, "quantity": quantity}
    row = scoped(session, ctx).execute(_TAKE_SELLABLE if sellable else _TAKE, params).first()
    if row is None:
        raise _refusal(session, ctx, variant_id, quantity, sellable)
    on_hand_after, avg, sku, price, product_name, whole_layer = row
    if not whole_layer:
        _consume_layers(session, ctx, variant_id, quantity)
    movement = StockMovement(
        client_id=ctx.client_id,
        variant_id=variant_id,
        kind=kind,
        quantity=-quantity,
        unit_cost=avg,
        value=costing.value_change(on_hand_after + quantity, avg, on_hand_after, avg),
        balance_after=on_hand_after,
        avg_cost_after=avg,
        reason=reason,
        reference_type=reference.type if reference else None,
        reference_id=reference.id if reference else None,
        actor_user_id=ctx.user_id,
        created_at=at or utcnow(),
    )
    return Taken(sku, product_name, price, movement)


def issue_stock(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    quantity: int,
    kind: MovementKind,
    *,
    reference: Reference | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """`take_stock`, with its movement written."""
    movement = take_stock(session, ctx, variant_id, quantity, kind, reference=reference, reason=reason, at=at).movement
    session.add(movement)
    session.flush()
    return movement


def _refusal(session: Session, ctx: Context, variant_id: uuid.UUID, quantity: int, sellable: bool) -> DomainError:
    """Why the guarded decrement took nothing: no such variant (for sale) here, or too few units."""
    query = select(Variant.on_hand, Variant.sku).where(Variant.id == variant_id, Variant.client_id == ctx.client_id)
    if sellable:
        query = query.join(Variant.product).where(*catalog.SELLABLE)
    found = session.execute(query).first()
    if found is None:
        return NotFound(f"variant {variant_id} is not for sale here" if sellable else f"variant {variant_id} not found")
    return OutOfStock(
        f"only {found.on_hand} × {found.sku} in stock; cannot take {quantity}",
        sku=found.sku,
        available=found.on_hand,
        requested=quantity,
    )


def _consume_layers(session: Session, ctx: Context, variant_id: uuid.UUID, quantity: int) -> None:
    """FIFO over the open layers, oldest first (the variant's row is locked, so they hold still):
    for a take the oldest layer alone could not cover."""
    layers = session.execute(_OPEN_LAYERS, {"variant": variant_id, "client": ctx.client_id}).all()
    for layer_id, taken in costing.consume_fifo(((r.id, r.quantity_remaining) for r in layers), quantity):
        session.execute(_TAKE_FROM_LAYER, {"layer": layer_id, "quantity": taken})


def adjust_stock(
    session: Session,
    ctx: Context,
    variant_id: uuid.UUID,
    delta: int,
    reason: str,
    *,
    clearance: Approval | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Correct a count (damage, loss, found stock) by a signed `delta`, with a reason.

    Found stock comes in at the current average cost; the value change is posted against the
    inventory write-off account. Every adjustment is audited with the stock before and after.
    Staff past the daily threshold need the owner (`check_daily_adjustments`). Retry-safe with a key.
    """
    if not reason.strip():
        raise ValidationFailed("a stock adjustment needs a reason (damaged, lost, counted, …)")
    check_adjustment(ctx, delta)
    return idempotency.once(
        session,
        ctx,
        idempotency_key,
        "adjust_stock",
        {"variant_id": variant_id, "delta": delta, "reason": reason},
        lambda: _adjust(session, ctx, variant_id, delta, reason, clearance),
        lambda movement: movement.id,
        lambda found: get_movement(session, ctx, int(found)),
    )


def _adjust(
    session: Session, ctx: Context, variant_id: uuid.UUID, delta: int, reason: str, clearance: Approval | None
) -> StockMovement:
    before = _stock_state(_locked_variant(session, ctx, variant_id))
    check_daily_adjustments(session, ctx, variant_id, delta, clearance)
    if delta > 0:
        variant = _locked_variant(session, ctx, variant_id)
        movement = _add_stock(session, ctx, variant, delta, variant.avg_cost, MovementKind.ADJUSTMENT, reason=reason)
    else:
        movement = issue_stock(session, ctx, variant_id, -delta, MovementKind.ADJUSTMENT, reason=reason)
    journal.post(
        session,
        ctx,
        "stock_adjustment",
        [debit(Account.INVENTORY, movement.value), credit(Account.INVENTORY_WRITE_OFF, movement.value)],
        memo=reason,
        reference=("variant", variant_id),
        occurred_at=movement.created_at,
    )
    audit.record(
        session,
        ctx,
        audit.Action.STOCK_ADJUSTED,
        target=("variant", variant_id),
        detail={
            "delta": delta,
            "reason": reason,
            "value": str(movement.value),
            "before": before,
            "after": {"on_hand": movement.balance_after, "avg_cost": str(movement.avg_cost_after)},
        },
    )
    return movement


@dataclass(frozen=True)
class MovementFilter:
    """Optional filters for the movement ledger."""

    variant_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    kind: MovementKind | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select, ctx: Context, f: MovementFilter) -> Select:
    query = query.where(StockMovement.client_id == ctx.client_id)
    if f.variant_id:
        query = query.where(StockMovement.variant_id == f.variant_id)
    if f.product_id:
        query = query.join(Variant, Variant.id == StockMovement.variant_id).where(Variant.product_id == f.product_id)
    if f.kind:
        query = query.where(StockMovement.kind == f.kind)
    if f.since:
        query = query.where(StockMovement.created_at >= f.since)
    if f.until:
        query = query.where(StockMovement.created_at < f.until)
    return query


def list_movements(
    session: Session, ctx: Context, filters: MovementFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[StockMovement], int]:
    """The stock ledger, newest first, with the total count for pagination (owner/staff)."""
    ctx.require_staff(action="reading stock movements")
    f = filters or MovementFilter()
    scoped(session, ctx)
    total = session.scalar(_filtered(select(func.count(StockMovement.id)), ctx, f)) or 0
    items = session.scalars(
        _filtered(select(StockMovement), ctx, f)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(items), total


def low_stock_variants(session: Session, ctx: Context, *, limit: int = 20) -> list[Variant]:
    """Active SKUs at or below their reorder point, emptiest first (owner/staff)."""
    ctx.require_staff(action="reading stock levels")
    query = (
        catalog.sellable_variants(ctx)
        .where(Variant.on_hand <= Variant.reorder_point)
        .order_by(Variant.on_hand, Variant.sku)
        .limit(limit)
    )
    return list(scoped(session, ctx).scalars(query))


MAX_REORDER_DAYS = 365


@dataclass(frozen=True)
class ReorderSuggestion:
    """Units to buy of one SKU: enough to cover `cover_days` at the recent sales velocity, and at
    least enough to lift it above its reorder point."""

    sku: str
    product_name: str
    on_hand: int
    reorder_point: int
    units_sold: int
    velocity: Decimal
    """Average units sold per day over the window."""
    suggested_quantity: int


def reorder_suggestions(
    session: Session,
    ctx: Context,
    *,
    days: int = 30,
    cover_days: int = 14,
    limit: int = 20,
    now: datetime | None = None,
) -> list[ReorderSuggestion]:
    """What to reorder, from sales velocity, in one query (owner/staff).

    velocity = units on non-cancelled orders placed in the last `days` days / `days`;
    suggested = max(ceil(velocity × cover_days), reorder_point + 1) − on_hand, listed when > 0
    (so a SKU at or below its reorder point is always listed). Active SKUs only, largest first.
    """
    ctx.require_staff(action="reading reorder suggestions")
    for value, what in ((days, "days"), (cover_days, "cover_days")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REORDER_DAYS:
            raise ValidationFailed(f"{what} must be a whole number from 1 to {MAX_REORDER_DAYS}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise ValidationFailed("limit must be a whole number from 1 to 200")
    since = (now or utcnow()) - timedelta(days=days)
    sold = (
        select(OrderLine.variant_id, func.sum(OrderLine.quantity).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.client_id == ctx.client_id,
            Order.client_id == ctx.client_id,
            Order.status != OrderStatus.CANCELLED,
            Order.created_at >= since,
        )
        .group_by(OrderLine.variant_id)
        .subquery()
    )
    units = func.coalesce(sold.c.units, 0)
    target = func.greatest(func.ceil(cast(units, Numeric) * cover_days / days), Variant.reorder_point + 1)
    suggested = (cast(target, Numeric) - Variant.on_hand).label("suggested")
    query = (
        select(
            Variant.sku,
            Product.name,
            Variant.on_hand,
            Variant.reorder_point,
            units.label("units"),
            func.round(cast(units, Numeric) / days, 2).label("velocity"),
            suggested,
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(sold, sold.c.variant_id == Variant.id)
        .where(
            Variant.client_id == ctx.client_id,
            Variant.is_active.is_(True),
            Product.is_active.is_(True),
            suggested > 0,
        )
        .order_by(suggested.desc(), Variant.sku)
        .limit(limit)
    )
    return [
        ReorderSuggestion(
            row.sku, row.name, row.on_hand, row.reorder_point, int(row.units), Decimal(row.velocity), int(row.suggested)
        )
        for row in scoped(session, ctx).execute(query)
    ]
