"""The idempotent demo seed: one small shop with a catalog (each product with a generated picture, so
photo search works), stock, 60+ days of orders and returns."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from domain import auth, catalog, images, inventory, orders, returns, tenancy
from domain.catalog import ProductSpec, VariantSpec
from domain.context import Context
from domain.errors import DomainError, ValidationFailed
from domain.models import Channel, Client, Order, PaymentMethod, PaymentStatus, Role, Variant
from domain.models.base import utcnow
from domain.orders import LineRequest, OrderDraft
from domain.pictures import encode, product_picture
from domain.returns import ReturnItem
from infra.embeddings import ImageEmbedder, make_image_embedder
from infra.object_storage import ObjectStorage, make_object_storage
from infra.settings import Settings

DEMO_CLIENT_ID = "demo_client"
DEMO_OWNER = ("admin", "admin123")
DEMO_STAFF = ("staff", "staff1234")
SUPERADMIN = ("superadmin", "superadmin123")
ORDER_DAYS = 75
REORDER_POINT = 4
DEMO_PICTURE_SIZE = 200

# (category, product, description, price, unit cost, option name, option values)
CATALOG: list[tuple[str, str, str, str, str, str | None, tuple[str, ...]]] = [
    (
        "apparel",
        "Classic Cotton T-Shirt",
        "Soft 180gsm cotton crew neck",
        "15.00",
        "6.20",
        "size",
        ("S", "M", "L", "XL"),
    ),
    ("apparel", "Linen Summer Shirt", "Breathable linen, relaxed fit", "38.00", "16.50", "size", ("M", "L")),
    ("apparel", "Denim Jeans Slim", "Stretch denim, slim leg", "45.00", "19.00", "size", ("30", "32", "34")),
    ("apparel", "Ankara Print Dress", "Hand-finished wax print midi dress", "62.00", "27.00", "size", ("S", "M", "L")),
    ("apparel", "Hooded Sweatshirt", "Brushed fleece hoodie", "40.00", "17.00", "size", ("M", "L", "XL")),
    ("apparel", "Kids Polo Shirt", "Pique cotton polo for ages 6-10", "14.00", "5.50", None, ()),
    ("footwear", "Canvas Sneakers", "Lace-up canvas low tops", "35.00", "14.00", "size", ("40", "42", "44")),
    ("footwear", "Leather Sandals", "Hand-stitched leather sandals", "28.00", "11.00", "size", ("39", "41", "43")),
    ("footwear", "Running Shoes", "Lightweight mesh running shoes", "65.00", "30.00", "size", ("41", "43")),
    ("accessories", "Woven Straw Hat", "Wide-brim sun hat", "18.00", "6.00", None, ()),
    ("accessories", "Leather Belt", "Full-grain leather, brass buckle", "22.00", "8.50", None, ()),
    ("accessories", "Beaded Bracelet Set", "Three handmade glass-bead bracelets", "12.00", "3.80", None, ()),
    (
        "accessories",
        "Canvas Tote Bag",
        "Heavy canvas tote with inner pocket",
        "16.00",
        "5.20",
        "colour",
        ("natural", "black"),
    ),
    ("accessories", "Polarized Sunglasses", "UV400 polarized lenses", "25.00", "9.00", None, ()),
    ("accessories", "Silk Head Wrap", "Printed satin-lined head wrap", "14.00", "4.50", None, ()),
    (
        "home",
        "Scented Soy Candle",
        "Lavender soy wax candle, 40h burn",
        "16.00",
        "5.00",
        "scent",
        ("lavender", "vanilla"),
    ),
    ("home", "Ceramic Coffee Mug", "350ml glazed stoneware mug", "9.50", "3.10", "colour", ("white", "blue")),
    ("home", "Cotton Throw Blanket", "Woven cotton throw 130x170", "42.00", "18.00", None, ()),
    ("home", "Bamboo Cutting Board", "Large bamboo board with juice groove", "19.00", "7.00", None, ()),
    ("home", "Woven Storage Basket", "Seagrass basket with handles", "24.00", "9.50", None, ()),
    ("home", "Glass Water Bottle", "750ml borosilicate bottle with sleeve", "13.00", "4.60", None, ()),
    ("beauty", "Shea Butter Body Cream", "Unrefined shea with coconut oil, 250ml", "11.00", "3.70", None, ()),
    ("beauty", "Black Soap Bar", "Traditional African black soap, 150g", "6.00", "1.80", None, ()),
    ("beauty", "Argan Hair Oil", "Cold-pressed argan oil, 100ml", "17.00", "6.30", None, ()),
    ("beauty", "Natural Lip Balm", "Beeswax and cocoa butter", "4.50", "1.20", None, ()),
    ("beauty", "Face Cleansing Gel", "Gentle aloe cleanser, 200ml", "14.00", "5.10", None, ()),
    ("electronics", "Phone Charging Cable", "Braided USB-C cable, 1m", "8.00", "2.40", None, ()),
    ("electronics", "Wireless Earbuds", "Bluetooth 5.3 earbuds with case", "39.00", "17.00", None, ()),
    ("electronics", "Power Bank 10000mAh", "Dual-port fast-charge power bank", "27.00", "12.00", None, ()),
    ("electronics", "Phone Case", "Shock-absorbing silicone case", "10.00", "2.90", "model", ("A54", "iPhone 14")),
    ("stationery", "Leather Notebook", "A5 refillable leather journal", "21.00", "8.00", None, ()),
    ("stationery", "Fountain Pen", "Steel nib fountain pen with converter", "24.00", "9.80", None, ()),
    ("stationery", "Wall Calendar", "Illustrated 12-month wall calendar", "12.00", "4.00", None, ()),
]

CUSTOMER_NAMES = [
    "Amaka Obi",
    "Tunde Bakare",
    "Chioma Eze",
    "Kwame Mensah",
    "Fatima Bello",
    "Ngozi Okafor",
    "Yusuf Adamu",
    "Aisha Lawal",
    "Emeka Nwosu",
    "Zainab Musa",
    "Kofi Boateng",
    "Halima Sani",
    "Ifeoma Uche",
    "Segun Ade",
    "Blessing John",
    "Musa Ibrahim",
    "Grace Akin",
    "Daniel Okoro",
    "Sade Lawson",
    "Peter Mba",
    "Ruth Danjuma",
    "Ahmed Garba",
    "Esther Obi",
    "Samuel Eto",
]


@dataclass(frozen=True)
class SeedSummary:
    """What the seed did (or found already there)."""

    created: bool
    client_id: str
    products: int
    orders: int


def seed(session: Session, settings: Settings, client_id: str = DEMO_CLIENT_ID) -> SeedSummary:
    """Create the demo shop (as `client_id`) unless it exists; always make sure the superadmin exists.

    Refused in production: the demo logins have well-known passwords.
    """
    if settings.is_production:
        raise ValidationFailed("the demo seed uses well-known passwords and is refused in production")
    auth.ensure_platform_admin(session, *SUPERADMIN)
    if session.get(Client, client_id) is not None:
        return SeedSummary(False, client_id, 0, 0)
    owner = _create_shop(session, client_id)
    pictures = make_object_storage(settings), make_image_embedder(settings.IMAGE_EMBEDDER)
    variants = _create_catalog(session, owner, *pictures)
    order_count = _create_history(session, owner, variants, random.Random(20261124))
    return SeedSummary(True, client_id, len(CATALOG), order_count)


def _create_shop(session: Session, client_id: str) -> Context:
    tenancy.create_client(
        session,
        client_id,
        "Sunrise Lifestyle Store",
        business_overview=(
            "A neighbourhood lifestyle shop in Lagos selling apparel, footwear, accessories, home goods, "
            "natural beauty products, phone accessories and stationery. Delivery across Lagos in 1-2 days."
        ),
        timezone="Africa/Lagos",
        opening_hours=time(9, 0),
        closing_hours=time(19, 0),
        max_discount_pct=Decimal("15"),
        auto_approve_discount_pct=Decimal("5"),
        return_refund_policy=(
            "Unused items in original condition can be returned within 14 days of delivery for a refund "
            "to the original payment method, or exchanged for another size or colour."
        ),
        return_window_days=14,
        sales_commission_pct=Decimal("3"),
        currency="USD",
        whatsapp_number="+2348000000000",
        country_calling_code="234",
        off_hours_reply="Thanks for your message! We are closed now and reply from 9am (Lagos time).",
    )
    owner = auth.add_user(session, client_id, *DEMO_OWNER, Role.OWNER)
    auth.add_user(session, client_id, *DEMO_STAFF, Role.STAFF)
    return Context(client_id, Role.OWNER, Channel.SYSTEM, owner.id, actor_name=DEMO_OWNER[0])


def _create_catalog(
    session: Session, owner: Context, storage: ObjectStorage, embedder: ImageEmbedder
) -> list[tuple[Variant, Decimal]]:
    """Products with variants and a small picture, each variant received in two or three batches at drifting costs."""
    start = utcnow() - timedelta(days=ORDER_DAYS + 45)
    rng = random.Random(7)
    stocked: list[tuple[Variant, Decimal]] = []
    for index, (category, name, description, price, cost, option, values) in enumerate(CATALOG):
        code = "".join(word[0] for word in name.upper().split())[:4] + f"{index:02d}"
        specs = [
            VariantSpec(
                sku=f"{code}-{value.upper().replace(' ', '')}",
                price=Decimal(price),
                options={option: value},
                reorder_point=REORDER_POINT,
            )
            for value in values
        ] or [VariantSpec(sku=code, price=Decimal(price), reorder_point=REORDER_POINT)]
        product = catalog.create_product(
            session, owner, ProductSpec(name=name, description=description, category=category, variants=specs)
        )
        picture = encode(product_picture(index, size=DEMO_PICTURE_SIZE))
        images.add_image(session, owner, storage, embedder, product.id, picture)
        for variant in product.variants:
            for batch in range(rng.choice((2, 3))):
                received = start + timedelta(days=batch * 40 + rng.randint(0, 10))
                batch_cost = (Decimal(cost) * Decimal(rng.choice(("0.95", "1.00", "1.05", "1.10")))).quantize(
                    Decimal("0.01")
                )
                inventory.receive_stock(
                    session, owner, variant.id, rng.randint(12, 30), batch_cost, received_at=received
                )
            stocked.append((variant, Decimal(price)))
    return stocked


def _create_history(
    session: Session, owner: Context, variants: list[tuple[Variant, Decimal]], rng: random.Random
) -> int:
    """Orders over the last ORDER_DAYS days across channels; older ones delivered, a few returned."""
    customers = [
        tenancy.get_or_create_customer(session, owner, wa_id=f"23480{10000000 + i * 7919}", name=name)
        for i, name in enumerate(CUSTOMER_NAMES)
    ]
    channels = [Channel.WHATSAPP] * 5 + [Channel.POS] * 3 + [Channel.REST] * 1 + [Channel.CHAT] * 1
    methods = list(PaymentMethod)
    now = utcnow()
    created = 0
    for days_ago in range(ORDER_DAYS, -1, -1):
        for _ in range(rng.randint(2, 7)):
            placed = now - timedelta(days=days_ago, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
            picks = rng.sample(variants, rng.choice((1, 1, 1, 2, 2, 3)))
            discount = Decimal(rng.choice(("0", "0", "0", "0", "5", "10")))
            # above the 5 % threshold the owner decided: 7 in 10 approved (and placed it), else full price
            role = Role.STAFF if discount <= 5 else Role.OWNER
            if role is Role.OWNER and rng.random() >= 0.7:
                role, discount = Role.STAFF, Decimal(0)
            ctx = Context(owner.client_id, role, rng.choice(channels), owner.user_id, actor_name=role.value)
            draft = OrderDraft(
                lines=[LineRequest(variant.id, rng.choice((1, 1, 1, 2, 3))) for variant, _ in picks],
                discount_pct=discount,
                customer_id=rng.choice(customers).id,
                payment_method=rng.choice(methods),
                payment_status=PaymentStatus.PAID if rng.random() < 0.8 else PaymentStatus.UNPAID,
                delivery_address=f"{rng.randint(1, 120)} Admiralty Way, Lekki, Lagos",
                created_at=placed,
            )
            try:
                order = orders.create_order(session, ctx, draft)
            except DomainError:
                continue  # sold out: real shops see this too
            created += 1
            _advance(session, owner, order, days_ago, placed, now, rng)
    return created


def _advance(
    session: Session,
    owner: Context,
    order: Order,
    days_ago: int,
    placed: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    """Move a seeded order along its life the way the shop would have, each step at its own time
    (never after `now`), so nothing that happened days ago is booked today."""

    def after(hours: int) -> datetime:
        return min(placed + timedelta(hours=hours), now)

    roll = rng.random()
    if days_ago <= 1 and roll < 0.6:
        return  # today's and yesterday's orders are still open
    if roll < 0.05:
        orders.cancel_order(session, owner.with_second_factor(), order.id, "customer cancelled", at=after(2))
        return
    orders.confirm_order(session, owner, order.id, at=after(1))
    if days_ago <= 2 and roll < 0.5:
        return
    orders.deliver_order(session, owner, order.id, at=after(24))
    if order.payment_status is PaymentStatus.UNPAID and rng.random() < 0.7:
        orders.mark_paid(session, owner, order.id, at=after(26))
    if days_ago <= 12 and rng.random() < 0.08:
        line = order.lines[0]
        returns.create_return(session, owner, order.id, [ReturnItem(line.id, 1)], reason="wrong size", now=after(72))
