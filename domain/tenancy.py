"""Clients (businesses), their policies and profile, and customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain import audit, phones
from domain.context import Context, scoped
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models import Channel, Client, Customer, OrderNumber, Role
from domain.models.base import utcnow
from domain.pricing import DiscountPolicy
from infra import crypto

POLICY_FIELDS = frozenset(
    {
        "max_discount_pct",
        "auto_approve_discount_pct",
        "return_refund_policy",
        "return_window_days",
        "sales_commission_pct",
        "receipt_cost_band_pct",
        "daily_adjustment_approval_units",
    }
)
PROFILE_FIELDS = frozenset(
    {
        "name",
        "business_overview",
        "timezone",
        "opening_hours",
        "closing_hours",
        "currency",
        "whatsapp_number",
        "whatsapp_phone_number_id",
        "whatsapp_business_account_id",
        "whatsapp_fallback_template",
        "whatsapp_template_language",
        "messenger",
        "required_api_keys",
        "country_calling_code",
        "agent_language",
        "off_hours_reply",
    }
)
PERCENT_FIELDS = ("max_discount_pct", "auto_approve_discount_pct", "sales_commission_pct")
MAX_COST_BAND_PCT = Decimal(999)


def get_client(session: Session, client_id: str) -> Client:
    """The client row (clients are not tenant-scoped: the id comes from authentication)."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id!r} does not exist")
    return client


@dataclass(frozen=True)
class OrderTerms:
    """What an order takes from its shop's settings: the discount rule and the commission rate."""

    discount: DiscountPolicy
    commission_pct: Decimal


_clients = Client.__table__.c
_ORDER_TERMS = select(
    _clients.max_discount_pct, _clients.auto_approve_discount_pct, _clients.sales_commission_pct
).where(_clients.id == bindparam("client"))
"""Three columns of the client row, built once (every order reads them; the whole row through the
ORM cost more than the rest of an order's reads)."""


def order_terms(session: Session, client_id: str) -> OrderTerms:
    """The client's discount rule and commission rate, as they are now."""
    row = session.execute(_ORDER_TERMS, {"client": client_id}).first()
    if row is None:
        raise NotFound(f"client {client_id!r} does not exist")
    max_pct, auto_approve_pct, commission_pct = row
    return OrderTerms(DiscountPolicy(max_pct, auto_approve_pct), commission_pct)


def _validate(fields: dict[str, object]) -> None:
    tz = fields.get("timezone")
    if tz is not None:
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(f"unknown timezone {tz!r}; use an IANA name like 'Africa/Lagos'") from None
    for key in PERCENT_FIELDS:
        if key in fields and not (Decimal(0) <= Decimal(str(fields[key])) <= Decimal(100)):
            raise ValidationFailed(f"{key} must be between 0 and 100")
    if "receipt_cost_band_pct" in fields and not (
        Decimal(0) <= Decimal(str(fields["receipt_cost_band_pct"])) <= MAX_COST_BAND_PCT
    ):
        raise ValidationFailed(f"receipt_cost_band_pct must be between 0 and {MAX_COST_BAND_PCT}")
    if "return_window_days" in fields and int(str(fields["return_window_days"])) < 0:
        raise ValidationFailed("return_window_days cannot be negative")
    if "daily_adjustment_approval_units" in fields and int(str(fields["daily_adjustment_approval_units"])) < 1:
        raise ValidationFailed("daily_adjustment_approval_units must be at least 1")
    if fields.get("opening_hours") is not None and fields.get("opening_hours") == fields.get("closing_hours"):
        raise ValidationFailed("opening and closing hours are the same; a shop open all day uses 00:00 to 23:59")


def create_client(session: Session, client_id: str, name: str, **fields: object) -> Client:
    """Register a business (platform admin or seed) with its order-number counter, and leave the
    session scoped to it. Policy and profile fields are optional."""
    unknown = set(fields) - POLICY_FIELDS - PROFILE_FIELDS
    if unknown:
        raise ValidationFailed(f"unknown client fields: {', '.join(sorted(unknown))}")
    _validate(fields)
    if session.get(Client, client_id) is not None:
        raise Conflict(f"client {client_id!r} already exists")
    client = Client(id=client_id, name=name, **fields)
    session.add(client)
    session.flush()
    scoped(session, Context(client_id, Role.OWNER, Channel.SYSTEM)).add(OrderNumber(client_id=client_id))
    session.flush()
    return client


def _audit_value(value: object) -> object:
    return value if isinstance(value, list | int | bool) or value is None else str(value)


def update_client(session: Session, ctx: Context, changes: dict[str, object]) -> Client:
    """Change profile or policy fields (owners only); audited with every changed field before and after."""
    unknown = set(changes) - POLICY_FIELDS - PROFILE_FIELDS
    if unknown:
        raise ValidationFailed(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    ctx.require(Role.OWNER, action="changing the business profile or policies")
    _validate(changes)
    client = get_client(scoped(session, ctx), ctx.client_id)
    changed = {k: v for k, v in changes.items() if getattr(client, k) != v}
    before = {k: _audit_value(getattr(client, k)) for k in changed}
    for key, value in changed.items():
        setattr(client, key, value)
    if client.auto_approve_discount_pct > client.max_discount_pct:
        raise ValidationFailed("the auto-approval threshold cannot exceed the discount cap")
    if client.opening_hours == client.closing_hours:
        raise ValidationFailed("opening and closing hours are the same; a shop open all day uses 00:00 to 23:59")
    session.flush()
    if changed:
        audit.record(
            session,
            ctx,
            audit.Action.POLICY_CHANGED,
            target=("client", client.id),
            detail={"before": before, "after": {k: _audit_value(getattr(client, k)) for k in changed}},
        )
    return client


def set_whatsapp_access_token(session: Session, ctx: Context, token: str, secret_key: str) -> None:
    """Store the client's WhatsApp access token encrypted under SECRET_KEY."""
    ctx.require(Role.OWNER, action="setting the WhatsApp access token")
    client = get_client(scoped(session, ctx), ctx.client_id)
    client.whatsapp_access_token_encrypted = crypto.encrypt(secret_key, token)
    session.flush()


def whatsapp_access_token(client: Client, secret_key: str) -> str | None:
    """The client's WhatsApp access token, decrypted."""
    if client.whatsapp_access_token_encrypted is None:
        return None
    return crypto.decrypt(secret_key, client.whatsapp_access_token_encrypted)


@dataclass(frozen=True)
class BusinessInfo:
    """What a customer may ask about a business: hours, whether it is open, the return policy."""

    name: str
    overview: str
    opening_hours: time
    closing_hours: time
    timezone: str
    is_open_now: bool
    return_policy: str
    return_window_days: int
    currency: str
    language: str = "en"

    @property
    def returns_summary(self) -> str:
        """The return policy as a customer should hear it; an empty policy text is never shown."""
        if self.return_window_days == 0:
            return self.return_policy or "This shop does not take returns."
        window = f"Returns within {self.return_window_days} days of delivery."
        return (
            f"{window} {self.return_policy}" if self.return_policy else f"{window} The shop has no other return terms."
        )


def business_info(session: Session, ctx: Context, now: datetime | None = None) -> BusinessInfo:
    """The client's public profile, with 'open now' computed in its own timezone."""
    client = get_client(scoped(session, ctx), ctx.client_id)
    local = (now or utcnow()).astimezone(ZoneInfo(client.timezone)).time()
    if client.opening_hours <= client.closing_hours:
        is_open = client.opening_hours <= local < client.closing_hours
    else:  # open past midnight
        is_open = local >= client.opening_hours or local < client.closing_hours
    return BusinessInfo(
        client.name,
        client.business_overview,
        client.opening_hours,
        client.closing_hours,
        client.timezone,
        is_open,
        client.return_refund_policy,
        client.return_window_days,
        client.currency,
        client.agent_language,
    )


def live_customer_by_phone(session: Session, client_id: str, phone: str) -> Customer | None:
    """The customer (not deleted) with this E.164 phone; phones are unique among live customers."""
    query = select(Customer).where(
        Customer.client_id == client_id, Customer.phone == phone, Customer.deleted_at.is_(None)
    )
    return session.scalars(query).first()


def get_or_create_customer(
    session: Session,
    ctx: Context,
    *,
    wa_id: str | None = None,
    wa_user_id: str | None = None,
    name: str = "",
    phone: str | None = None,
) -> Customer:
    """Find a customer by WhatsApp user id, wa_id or their phone (+wa_id, as staff may have typed it),
    or create one (keeping names fresh). A soft-deleted customer who writes again is restored."""
    if not (wa_id or wa_user_id):
        raise ValidationFailed("a customer needs a wa_id or a business-scoped user id")
    scoped(session, ctx)
    e164 = phones.from_wa_id(wa_id) if wa_id else phone
    query = select(Customer).where(Customer.client_id == ctx.client_id)
    found = session.scalars(query.where(Customer.wa_user_id == wa_user_id)).first() if wa_user_id else None
    if found is None and wa_id:
        found = session.scalars(query.where(Customer.wa_id == wa_id)).first()
    if found is None and e164:
        found = live_customer_by_phone(session, ctx.client_id, e164)
    if found is None:
        found = Customer(client_id=ctx.client_id, wa_id=wa_id, wa_user_id=wa_user_id, name=name, phone=e164)
        session.add(found)
    else:
        found.wa_user_id = found.wa_user_id or wa_user_id
        found.wa_id = found.wa_id or wa_id
        found.phone = found.phone or e164
        found.name = name or found.name
        found.deleted_at = None
    session.flush()
    return found
