"""`easy-ecom import` / `export` as a shop runs them: the sample files (the earlier CSV version's
clients and users files, generic products and customers) load idempotently; a file with a bad row
is reported line by line and imports nothing; an export loads back into another shop."""

from __future__ import annotations

import csv
import shutil
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import RunCli
from tests.api.flows import V1, ok
from tests.conftest import TEST_SECRET

DATA = Path(__file__).parent / "data"


@pytest.fixture
def run_transfer(run_cli: RunCli, owner_url: str, server_urls: tuple[str, str]) -> RunCli:
    """`easy-ecom ARGS` against the test database."""

    def run(*args: str) -> object:
        return run_cli(*args, DATABASE_URL=owner_url, REDIS_URL=server_urls[1], SECRET_KEY=TEST_SECRET, timeout=120)

    return run  # type: ignore[return-value]


def sample(tmp_path: Path, name: str, client_id: str) -> Path:
    """A copy of a sample folder with its placeholder client id replaced by `client_id`."""
    folder = tmp_path / name
    shutil.copytree(DATA / name, folder)
    for path in folder.glob("*.csv"):
        path.write_text(path.read_text().replace("IMPORTED", client_id))
    return folder


def owner_headers(
    client: TestClient,
    client_id: str,
    username: str = "ada",
    password: str = "ada-password",  # noqa: S107
) -> dict[str, str]:
    login = ok(
        client.post(f"{V1}/auth/login", json={"client_id": client_id, "username": username, "password": password})
    )
    return {"Authorization": f"Bearer {login['access_token']}"}


def stock_by_sku(client: TestClient, headers: dict[str, str]) -> dict[str, tuple[int, str]]:
    products = ok(client.get(f"{V1}/products", params={"limit": 100}, headers=headers))["items"]
    return {v["sku"]: (v["on_hand"], v["avg_cost"]) for p in products for v in p["variants"]}


def test_the_sample_shop_imports_once_and_a_second_run_changes_nothing(
    run_transfer: RunCli, client: TestClient, tmp_path: Path
) -> None:
    client_id = f"imp_{uuid.uuid4().hex[:8]}"
    folder = sample(tmp_path, "shop_import", client_id)
    first = run_transfer("import", str(folder), "--client", client_id)
    assert first.returncode == 0, first.stderr
    assert "products.csv: ok; 4 created, 0 already there" in first.stdout
    assert "users.csv: ok; 3 created, 1 already there" in first.stdout  # other_shop's row is skipped
    assert "kemi: password shorter than 8; disabled until reset" in first.stdout
    assert "products.csv [" in first.stderr  # the progress bar

    headers = owner_headers(client, client_id)
    business = ok(client.get(f"{V1}/business", headers=headers))
    assert (business["opening_hours"], business["max_discount_pct"], business["required_api_keys"]) == (
        "09:00",
        "15.00",
        ["OPENAI_API_KEY", "WHATSAPP_ACCESS_TOKEN"],
    )
    stock = stock_by_sku(client, headers)
    assert stock == {
        "DRS-ANK-M": (6, "18.5000"),
        "DRS-ANK-L": (4, "18.5000"),
        "BAG-RAF": (3, "400.0000"),
        "SCF-SLK": (0, "0.0000"),
    }
    customers = ok(client.get(f"{V1}/customers", headers=headers))["items"]
    assert [(c["name"], c["phone"], c["tags"]) for c in customers] == [
        ("Ada Obi", "+2348031234567", ["vip", "wholesale"]),
        ("Bola Ade", "+2348059998888", []),
    ]
    assert customers[0]["addresses"][0]["line1"] == "5 Admiralty Way"
    users = {u["username"]: u["is_active"] for u in ok(client.get(f"{V1}/users", headers=headers))["items"]}
    assert users == {"ada": True, "tunde": True, "kemi": False}

    assert "orders.csv: ok; 3 created, 0 already there" in first.stdout
    placed = ok(client.get(f"{V1}/orders", params={"limit": 10}, headers=headers))["items"]
    assert sorted((o["note"], o["created_at"][:10], o["status"], o["total"]) for o in placed) == [
        ("imported order 5001", "2026-10-03", "delivered", "1230.00"),
        ("imported order 5002", "2026-10-20", "partially_returned", "81.00"),
        ("imported order 5003", "2026-11-02", "cancelled", "45.00"),
    ]
    october = ok(
        client.get(
            f"{V1}/reports/profit-loss",
            params={"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"},
            headers=headers,
        )
    )
    assert (october["revenue"], october["discounts"], october["refunds"]) == ("1320.00", "9.00", "40.50")
    november = ok(
        client.get(
            f"{V1}/reports/profit-loss",
            params={"start": "2026-11-01T00:00:00+00:00", "end": "2026-12-01T00:00:00+00:00"},
            headers=headers,
        )
    )
    assert november["net_sales"] == "0.00"  # the cancelled order's sale and reversal both fall on 2 November

    again = run_transfer("import", str(folder), "--client", client_id)
    assert again.returncode == 0, again.stderr
    for name, rows in (
        ("clients.csv", 2),
        ("users.csv", 4),
        ("products.csv", 4),
        ("customers.csv", 2),
        ("orders.csv", 3),
    ):
        assert f"{name}: ok; 0 created, {rows} already there" in again.stdout
    assert stock_by_sku(client, headers) == stock
    assert ok(client.get(f"{V1}/customers", headers=headers))["total"] == 2


def test_a_file_with_bad_rows_is_reported_by_line_and_imports_nothing(
    run_transfer: RunCli, client: TestClient, tmp_path: Path
) -> None:
    client_id = f"bad_{uuid.uuid4().hex[:8]}"
    folder = sample(tmp_path, "shop_import_broken", client_id)
    result = run_transfer("import", str(folder), "--client", client_id)
    assert result.returncode == 1
    assert "products.csv: REFUSED (2 bad rows, nothing imported)" in result.stdout
    assert "products.csv:3: price 'nine' is not a number" in result.stdout
    assert "products.csv:4: opening_stock '-2' is not a whole number of 0 or more" in result.stdout
    assert "customers.csv: ok; 1 created" in result.stdout
    owner = run_transfer_user(run_transfer, tmp_path, client_id)
    headers = owner_headers(client, client_id, "owner", "owner-password")
    assert owner.returncode == 0, owner.stdout
    assert ok(client.get(f"{V1}/products", headers=headers))["total"] == 0  # not even the good mug
    assert ok(client.get(f"{V1}/customers", headers=headers))["total"] == 1


def run_transfer_user(run_transfer: RunCli, tmp_path: Path, client_id: str) -> object:
    """Import an owner into `client_id` (so the test can log in)."""
    folder = tmp_path / "owner"
    folder.mkdir()
    (folder / "users.csv").write_text("username,password,role\nowner,owner-password,owner\n")
    return run_transfer("import", str(folder), "--client", client_id)


def test_an_export_loads_back_into_another_shop(run_transfer: RunCli, client: TestClient, tmp_path: Path) -> None:
    source = f"src_{uuid.uuid4().hex[:8]}"
    assert run_transfer("import", str(sample(tmp_path, "shop_import", source)), "--client", source).returncode == 0
    headers = owner_headers(client, source)
    variant = next(
        v["id"]
        for p in ok(client.get(f"{V1}/products", headers=headers))["items"]
        for v in p["variants"]
        if v["sku"] == "DRS-ANK-M"
    )
    ok(client.post(f"{V1}/orders", json={"lines": [{"variant_id": variant, "quantity": 2}]}, headers=headers), 201)
    out = tmp_path / "export"
    exported = run_transfer("export", "--client", source, str(out))
    assert exported.returncode == 0, exported.stderr
    assert "orders.csv: 5 rows" in exported.stdout  # the sample's 3 past orders (4 lines) and today's
    with (out / "orders.csv").open() as handle:
        orders = list(csv.DictReader(handle))
    assert [(o["number"], o["sku"], o["quantity"], o["line_total"]) for o in orders][-1] == (
        "1004",
        "DRS-ANK-M",
        "2",
        "90.00",
    )

    target = f"dst_{uuid.uuid4().hex[:8]}"
    shutil.copy(DATA / "shop_import" / "users.csv", out / "users.csv")
    (out / "users.csv").write_text((out / "users.csv").read_text().replace("IMPORTED", target))
    (out / "clients.csv").write_text(f"client_id,country_calling_code\n{target},234\n")
    loaded = run_transfer("import", str(out), "--client", target)
    assert loaded.returncode == 0, loaded.stdout
    assert stock_by_sku(client, owner_headers(client, target)) == stock_by_sku(client, headers)
    history = [
        sorted((o["created_at"], o["status"], o["total"]) for o in ok(client.get(f"{V1}/orders", headers=h))["items"])
        for h in (headers, owner_headers(client, target))
    ]
    assert history[0] == history[1]  # same times, states and totals


def test_import_needs_a_folder(run_transfer: RunCli, tmp_path: Path) -> None:
    result = run_transfer("import", str(tmp_path / "missing"), "--client", "nowhere_shop")
    assert result.returncode == 2
    assert "is not a folder" in result.stderr
