"""Staff powers over money and stock: receipts far from the average cost wait for the owner,
adjustments count per variant per shop-local day, both limits are the owner's policy, and price
edits, receipts, adjustments, retirements and order edits are audited with before and after."""

from __future__ import annotations

from decimal import Decimal as D

from fastapi.testclient import TestClient

from infra.settings import DEV_2FA_CODE
from tests.api.conftest import Shop
from tests.api.flows import V1, Json, add_product, ok, place_order

STOCK = f"{V1}/inventory/adjustments"


def receipt(variant_id: str, quantity: int, cost: str) -> Json:
    return {"variant_id": variant_id, "type": "receipt", "quantity": quantity, "unit_cost": cost}


def adjustment(variant_id: str, quantity: int) -> Json:
    return {"variant_id": variant_id, "type": "adjustment", "quantity": quantity, "reason": "counted"}


def mug(client: TestClient, shop: Shop, *, stock: int = 100, cost: str = "4.00") -> str:
    return add_product(client, shop, "Mug", {"MUG-1": "9.00"}, stock=stock, cost=cost)["variants"][0]["id"]


def avg_cost(client: TestClient, shop: Shop, variant_id: str) -> D:
    movements = ok(client.get(f"{V1}/inventory/movements", params={"variant_id": variant_id}, headers=shop.owner))
    return D(movements["items"][0]["avg_cost_after"])


def logs(client: TestClient, shop: Shop, action: str) -> list[Json]:
    return ok(client.get(f"{V1}/sessions/logs", params={"action": action}, headers=shop.owner))["items"]


def decide(client: TestClient, shop: Shop, approval_id: str, approve: bool = True) -> Json:
    return ok(client.post(f"{V1}/approvals/{approval_id}", json={"approve": approve}, headers=shop.owner))


def test_a_staff_receipt_far_below_the_average_waits_for_the_owner(client: TestClient, shop: Shop) -> None:
    variant = mug(client, shop)
    asked = ok(client.post(STOCK, json=receipt(variant, 500, "0.01"), headers=shop.staff), 202)
    assert (asked["kind"], asked["status"]) == ("stock_receipt", "pending")
    assert "4.0000" in asked["summary"]
    assert avg_cost(client, shop, variant) == D("4.0000")  # nothing moved yet
    decided = decide(client, shop, asked["id"])
    assert decided["approval"]["status"] == "approved"
    assert avg_cost(client, shop, variant) == D("0.6750")  # (100 × 4 + 500 × 0.01) / 600, once approved
    [event] = [e for e in logs(client, shop, "stock_received") if e["detail"]["quantity"] == 500]
    assert event["detail"]["before"] == {"on_hand": 100, "avg_cost": "4.0000"}
    assert event["detail"]["after"] == {"on_hand": 600, "avg_cost": "0.6750"}
    assert event["detail"]["approval_id"] == asked["id"]


def test_receipts_inside_the_band_a_first_receipt_and_the_owners_own_need_no_approval(
    client: TestClient, shop: Shop
) -> None:
    body = {"name": "Bowl", "variants": [{"sku": "BOWL-1", "price": "9.00"}]}
    bowl = ok(client.post(f"{V1}/products", json=body, headers=shop.owner), 201)["variants"][0]["id"]
    assert ok(client.post(STOCK, json=receipt(bowl, 10, "0.05"), headers=shop.staff), 201)  # no average yet
    assert ok(client.post(STOCK, json=receipt(bowl, 10, "0.07"), headers=shop.staff), 201)  # +40 %: inside ±50 %
    assert ok(client.post(STOCK, json=receipt(bowl, 10, "0.09"), headers=shop.staff), 201)  # average 0.06: +50 %
    assert client.post(STOCK, json=receipt(bowl, 10, "0.11"), headers=shop.staff).status_code == 202  # 0.07: +57 %
    assert client.post(STOCK, json=receipt(bowl, 10, "0.03"), headers=shop.staff).status_code == 202  # -57 %
    assert ok(client.post(STOCK, json=receipt(bowl, 10, "9.00"), headers=shop.owner), 201)  # the owner decides


def test_the_owner_narrows_the_band_and_staff_receipts_follow_it(client: TestClient, shop: Shop) -> None:
    variant = mug(client, shop)
    assert client.post(STOCK, json=receipt(variant, 1, "5.00"), headers=shop.staff).status_code == 201  # +25 %
    assert client.patch(f"{V1}/business", json={"receipt_cost_band_pct": "5"}, headers=shop.staff).status_code == 403
    ok(client.patch(f"{V1}/business", json={"receipt_cost_band_pct": "10"}, headers=shop.owner))
    assert client.post(STOCK, json=receipt(variant, 1, "5.00"), headers=shop.staff).status_code == 202


def test_small_adjustments_add_up_per_variant_per_day(client: TestClient, shop: Shop) -> None:
    variant = mug(client, shop)
    other = add_product(client, shop, "Plate", {"PLATE-1": "7.00"}, stock=50)["variants"][0]["id"]
    for _ in range(4):
        assert client.post(STOCK, json=adjustment(variant, -5), headers=shop.staff).status_code == 201
    asked = client.post(STOCK, json=adjustment(variant, -1), headers=shop.staff)
    assert asked.status_code == 202  # 20 already today: the 21st unit needs the owner
    assert asked.json()["kind"] == "stock_adjustment"
    assert client.post(STOCK, json=adjustment(other, -5), headers=shop.staff).status_code == 201  # per variant
    assert client.post(STOCK, json=adjustment(variant, 3), headers=shop.owner).status_code == 201  # owners may
    ok(client.patch(f"{V1}/business", json={"daily_adjustment_approval_units": 40}, headers=shop.owner))
    assert client.post(STOCK, json=adjustment(variant, -5), headers=shop.staff).status_code == 201  # 28 + 5 <= 40


def test_price_edits_retirements_and_adjustments_are_audited_with_before_and_after(
    client: TestClient, shop: Shop
) -> None:
    product = add_product(client, shop, "Teapot", {"TEA-1": "25.00"}, stock=10)
    variant = product["variants"][0]["id"]
    edit = {"variants": {variant: {"price": "0.00"}}}
    ok(client.patch(f"{V1}/products/{product['id']}", json=edit, headers=shop.staff))
    [price] = logs(client, shop, "price_changed")
    assert (price["detail"]["before"], price["detail"]["after"]) == ({"price": "25.00"}, {"price": "0.00"})
    assert price["actor_name"] == "clerk"
    ok(client.post(STOCK, json=adjustment(variant, -2), headers=shop.staff), 201)
    [adjusted] = logs(client, shop, "stock_adjusted")
    assert adjusted["detail"]["before"] == {"on_hand": 10, "avg_cost": "11.5000"}
    assert adjusted["detail"]["after"] == {"on_hand": 8, "avg_cost": "11.5000"}
    ok(client.delete(f"{V1}/products/{product['id']}", headers=shop.owner))
    [retired] = logs(client, shop, "product_retired")
    assert (retired["target_id"], retired["detail"]["before"], retired["detail"]["after"]) == (
        product["id"],
        {"is_active": True},
        {"is_active": False},
    )


def test_editing_a_pending_order_is_audited_with_before_and_after(client: TestClient, shop: Shop) -> None:
    vase = add_product(client, shop, "Vase", {"VASE-1": "35.00"}, stock=5)["variants"][0]["id"]
    order = place_order(client, shop, [(vase, 1)])
    assert order["status"] == "pending"
    code = {"X-2FA-Code": DEV_2FA_CODE}
    ok(client.patch(f"{V1}/orders/{order['id']}", json={"note": "gift wrap"}, headers=shop.staff | code))
    [edited] = logs(client, shop, "order_edited")
    assert edited["detail"]["fields"] == ["note"]
    assert edited["detail"]["before"] == {"note": order["note"]}
    assert edited["detail"]["after"] == {"note": "gift wrap"}
