"""REST journal: manual entries (owners only, balanced), entries listed with their lines by kind."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.conftest import Shop
from tests.api.flows import V1, add_product, ok, place_order

D = Decimal
ENTRIES = f"{V1}/accounting/journal-entries"
OPENING_FLOAT = {
    "memo": "opening cash float",
    "lines": [{"account": "cash", "debit": "100.00"}, {"account": "equity", "credit": "100.00"}],
}


def test_an_owner_posts_a_balanced_manual_entry_and_reads_it_back(client: TestClient, shop: Shop) -> None:
    created = ok(client.post(ENTRIES, json=OPENING_FLOAT, headers=shop.owner), 201)
    assert (created["kind"], created["memo"], created["created_by_user_id"]) == (
        "manual",
        "opening cash float",
        str(shop.owner_id),
    )
    assert sorted((line["account"], D(line["debit"]), D(line["credit"])) for line in created["lines"]) == [
        ("cash", D("100.00"), D("0.00")),
        ("equity", D("0.00"), D("100.00")),
    ]
    listed = ok(client.get(ENTRIES, params={"kind": "manual"}, headers=shop.owner))
    assert (listed["total"], listed["items"]) == (1, [created])


def test_an_unbalanced_entry_is_a_422_problem_and_nothing_is_posted(client: TestClient, shop: Shop) -> None:
    unbalanced = {"lines": [{"account": "cash", "debit": "100.00"}, {"account": "equity", "credit": "90.00"}]}
    response = client.post(ENTRIES, json=unbalanced, headers=shop.owner)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation_failed"
    assert "must balance" in response.json()["detail"]
    assert ok(client.get(ENTRIES, headers=shop.owner))["total"] == 0


def test_malformed_lines_are_refused(client: TestClient, shop: Shop) -> None:
    equity = {"account": "equity", "credit": "5.00"}
    for lines in (
        [{"account": "cash", "debit": "5.00", "credit": "5.00"}, equity],  # both sides
        [{"account": "cash"}, equity],  # neither side
        [{"account": "cash", "debit": "5.00"}],  # one line
        [{"account": "cash", "debit": "-5.00"}, {"account": "equity", "debit": "10.00"}],  # negative
        [{"account": "cash", "debit": "5.001"}, equity],  # below a cent
        [{"account": "petty_cash", "debit": "5.00"}, equity],  # not in the chart
        [{"account": "cash", "debit": "5.00", "client_id": "elsewhere"}, equity],  # no tenant from the body
    ):
        response = client.post(ENTRIES, json={"lines": lines}, headers=shop.owner)
        assert response.status_code == 422, lines
    assert client.post(ENTRIES, json=OPENING_FLOAT | {"memo": "a\x00b"}, headers=shop.owner).status_code == 422
    assert client.get(ENTRIES, params={"kind": "sale\x00"}, headers=shop.owner).status_code == 422
    assert ok(client.get(ENTRIES, headers=shop.owner))["total"] == 0


def test_a_backdated_entry_lands_in_its_own_period_of_the_profit_and_loss(client: TestClient, shop: Shop) -> None:
    write_off = {
        "memo": "stocktake shortfall",
        "occurred_at": "2025-03-15T12:00:00Z",
        "lines": [{"account": "inventory_write_off", "debit": "5.00"}, {"account": "inventory", "credit": "5.00"}],
    }
    ok(client.post(ENTRIES, json=write_off, headers=shop.owner), 201)
    march = {"start": "2025-03-01T00:00:00Z", "end": "2025-04-01T00:00:00Z"}
    then = ok(client.get(f"{V1}/reports/profit-loss", params=march, headers=shop.owner))
    now = ok(client.get(f"{V1}/reports/profit-loss", headers=shop.owner))
    assert (D(then["inventory_write_offs"]), D(then["net_profit"])) == (D("5.00"), D("-5.00"))
    assert D(now["inventory_write_offs"]) == D("0.00")
    too_far = write_off | {"occurred_at": "9999-12-31T23:59:59-01:00"}
    assert client.post(ENTRIES, json=too_far, headers=shop.owner).status_code == 422


def test_business_events_post_balanced_entries_listed_by_kind(client: TestClient, shop: Shop) -> None:
    lamp = add_product(client, shop, "Desk Lamp", {"LAMP-DESK": "30.00"}, stock=4, cost="12.00")
    order = place_order(client, shop, [(lamp["variants"][0]["id"], 2)])
    sales = ok(client.get(ENTRIES, params={"kind": "sale"}, headers=shop.owner))
    assert sales["total"] == 1
    sale = sales["items"][0]
    assert (sale["reference_type"], sale["reference_id"]) == ("order", order["id"])
    amounts = {line["account"]: D(line["credit"]) - D(line["debit"]) for line in sale["lines"]}
    assert (amounts["revenue"], amounts["inventory"], amounts["cogs"]) == (D("60.00"), D("24.00"), D("-24.00"))
    assert sum(D(line["debit"]) for line in sale["lines"]) == sum(D(line["credit"]) for line in sale["lines"])
    everything = ok(client.get(ENTRIES, params={"limit": 1}, headers=shop.owner))
    assert (everything["total"], len(everything["items"])) == (2, 1)  # the stock receipt and the sale


def test_staff_can_neither_post_nor_read_the_journal(client: TestClient, shop: Shop) -> None:
    assert client.post(ENTRIES, json=OPENING_FLOAT, headers=shop.staff).status_code == 403
    assert client.get(ENTRIES, headers=shop.staff).status_code == 403
    assert ok(client.get(ENTRIES, headers=shop.owner))["total"] == 0


def test_another_tenants_entries_are_invisible(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    ok(client.post(ENTRIES, json=OPENING_FLOAT, headers=other_shop.owner), 201)
    mine = ok(client.get(ENTRIES, headers=shop.owner))
    assert (mine["total"], mine["items"]) == (0, [])


def test_the_journal_needs_a_token(client: TestClient) -> None:
    assert client.get(ENTRIES).status_code == 401
    assert client.post(ENTRIES, json=OPENING_FLOAT).status_code == 401
