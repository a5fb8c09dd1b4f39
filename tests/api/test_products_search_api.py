"""REST search: `GET /products?search=`, product pictures (upload, list, content, delete), photo search,
the picture routes' own body cap, and `easy-ecom reembed`."""

from __future__ import annotations

import pytest
import respx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from domain.pictures import encode, product_picture
from infra.settings import Settings
from tests.api.conftest import RunCli, Shop
from tests.api.flows import V1, add_product, ok
from tests.conftest import TEST_SECRET


def upload(client: TestClient, shop: Shop, product_id: str, data: bytes, **form: str):
    files = {"file": ("photo.bin", data, "application/octet-stream")}
    return client.post(f"{V1}/products/{product_id}/images", files=files, data=form, headers=shop.staff)


def photo_search(client: TestClient, shop: Shop, data: bytes, limit: int = 3):
    files = {"file": ("photo.jpg", data, "image/jpeg")}
    return client.post(f"{V1}/products/image-search?limit={limit}", files=files, headers=shop.staff)


def test_search_finds_sku_prefixes_plurals_and_typos(client: TestClient, shop: Shop) -> None:
    add_product(client, shop, "Linen Summer Shirt", {"LSS01-M": "38.00", "LSS01-L": "38.00"}, category="shirts")
    add_product(client, shop, "Woven Straw Hat", {"WSH09": "18.00"}, category="accessories")
    for text in ("LSS01", "shirts", "linnen", "summ shi", "shirts"):
        page = ok(client.get(f"{V1}/products", params={"search": text}, headers=shop.staff))
        assert [p["name"] for p in page["items"]] == ["Linen Summer Shirt"], text
        assert page["total"] == 1
    page = ok(client.get(f"{V1}/products", params={"search": "accessory"}, headers=shop.staff))
    assert [p["name"] for p in page["items"]] == ["Woven Straw Hat"]
    everything = ok(client.get(f"{V1}/products", params={"search": "  "}, headers=shop.staff))
    assert everything["total"] == 2


def test_a_product_page_shows_owners_costs_and_staff_none(client: TestClient, shop: Shop, other_shop: Shop) -> None:
    product = add_product(client, shop, "Linen Summer Shirt", {"LSS01-M": "38.00", "LSS01-L": "38.00"}, stock=3)
    as_owner = ok(client.get(f"{V1}/products/{product['id']}", headers=shop.owner))
    as_staff = ok(client.get(f"{V1}/products/{product['id']}", headers=shop.staff))
    assert [(v["sku"], v["on_hand"], v["avg_cost"]) for v in as_owner["variants"]] == [
        ("LSS01-L", 3, "11.5000"),
        ("LSS01-M", 3, "11.5000"),
    ]
    for variant in as_owner["variants"]:
        del variant["avg_cost"]
    assert as_owner == as_staff
    assert client.get(f"{V1}/products/{product['id']}", headers=other_shop.staff).status_code == 404


def test_pictures_are_uploaded_listed_served_found_and_deleted(client: TestClient, shop: Shop, other_shop: Shop):
    products = [add_product(client, shop, f"Print {n}", {f"PRN-{n}": "9.00"}, stock=1) for n in range(6)]
    for n, product in enumerate(products):
        ok(upload(client, shop, product["id"], encode(product_picture(n))), 201)
    target = products[4]
    variant_id = target["variants"][0]["id"]
    second = ok(upload(client, shop, target["id"], encode(product_picture(4), "WEBP"), variant_id=variant_id), 201)
    assert (second["content_type"], second["variant_id"], second["width"]) == ("image/webp", variant_id, 320)
    listed = ok(client.get(f"{V1}/products/{target['id']}/images", headers=shop.staff))
    assert [i["id"] for i in listed][1:] == [second["id"]]
    content = client.get(f"{V1}/products/{target['id']}/images/{second['id']}/content", headers=shop.staff)
    assert (content.status_code, content.headers["content-type"]) == (200, "image/webp")
    assert content.content == encode(product_picture(4), "WEBP")

    screenshot = encode(product_picture(4).crop((48, 48, 272, 272)), "JPEG", quality=60)
    found = ok(photo_search(client, shop, screenshot))
    assert found["items"][0]["product"]["id"] == target["id"]
    assert found["items"][0]["score"] > found["items"][-1]["score"]
    assert "avg_cost" not in found["items"][0]["product"]["variants"][0]  # staff see no costs
    assert ok(photo_search(client, other_shop, screenshot))["items"] == []
    assert client.get(f"{V1}/products/{target['id']}/images", headers=other_shop.staff).status_code == 404

    gone = client.delete(f"{V1}/products/{target['id']}/images/{second['id']}", headers=shop.staff)
    assert gone.status_code == 204
    missing = client.get(f"{V1}/products/{target['id']}/images/{second['id']}/content", headers=shop.staff)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GIF89a not really", 415),
        (b"plain text, not a picture", 415),
        (encode(product_picture(1), "BMP"), 415),
        (encode(product_picture(1))[:500], 422),
    ],
    ids=["gif-header", "text", "bmp", "truncated"],
)
def test_non_pictures_are_refused_as_problems(client: TestClient, shop: Shop, data: bytes, status: int) -> None:
    product = add_product(client, shop, "Print", {"PRN-1": "9.00"}, stock=1)
    for response in (upload(client, shop, product["id"], data), photo_search(client, shop, data)):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert ok(client.get(f"{V1}/products/{product['id']}/images", headers=shop.staff)) == []


def test_picture_routes_take_up_to_10_mb_while_other_routes_keep_the_default_cap(
    client: TestClient, shop: Shop, settings: Settings
) -> None:
    product = add_product(client, shop, "Print", {"PRN-1": "9.00"}, stock=1)
    two_mb_png = encode(product_picture(2), "PNG") + b"\0" * (2 * 1024 * 1024)  # trailing bytes: still a PNG
    assert upload(client, shop, product["id"], two_mb_png).status_code == 201
    eleven_mb = b"\0" * (11 * 1024 * 1024)
    too_big = upload(client, shop, product["id"], eleven_mb)
    assert (too_big.status_code, too_big.headers["content-type"]) == (413, "application/problem+json")
    body = {"name": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10), "variants": [{"sku": "A-1", "price": "1.00"}]}
    assert client.post(f"{V1}/products", json=body, headers=shop.staff).status_code == 413


def test_the_owner_re_embeds_a_shops_pictures_from_the_cli(
    client: TestClient, shop: Shop, settings: Settings, run_cli: RunCli
) -> None:
    product = add_product(client, shop, "Print", {"PRN-1": "9.00"}, stock=1)
    ok(upload(client, shop, product["id"], encode(product_picture(3))), 201)
    result = run_cli(
        "reembed",
        "--client",
        shop.client_id,
        DATABASE_URL=settings.DATABASE_URL or "",
        REDIS_URL=settings.REDIS_URL or "",
        SECRET_KEY=TEST_SECRET,
        DATA_DIR=str(settings.DATA_DIR),
    )
    assert result.returncode == 0, result.stderr
    assert f"1 pictures of {shop.client_id} re-embedded with descriptor-v1" in result.stdout
    assert "1/1" in result.stdout  # the progress bar
    unknown = run_cli(
        "reembed",
        "--client",
        "no_such_shop",
        DATABASE_URL=settings.DATABASE_URL or "",
        REDIS_URL=settings.REDIS_URL or "",
        SECRET_KEY=TEST_SECRET,
        DATA_DIR=str(settings.DATA_DIR),
    )
    assert (unknown.returncode, "no client 'no_such_shop'" in unknown.stderr) == (2, True)


def test_a_configured_vision_model_adds_its_words_to_photo_search(settings: Settings, shop: Shop) -> None:
    configured = settings.model_copy(
        update={
            "VISION_MODEL": "vision-small",
            "OPENAI_API_KEY": SecretStr("sk-test"),
            "OPENAI_BASE_URL": "http://llm.test/v1",
        }
    )
    with respx.mock(assert_all_called=True) as mock, TestClient(create_app(configured)) as client:
        mock.post("http://llm.test/v1/chat/completions").respond(
            json={"choices": [{"message": {"content": "straw hat"}}]}
        )
        hat = add_product(client, shop, "Woven Straw Hat", {"WSH09": "18.00"}, stock=1)
        found = ok(photo_search(client, shop, encode(product_picture(8)), limit=5))
    assert found["description"] == "straw hat"
    assert [item["product"]["id"] for item in found["items"]] == [hat["id"]]


def test_with_a_sentence_embedder_the_listing_and_the_agent_find_products_by_meaning(
    settings: Settings, shop: Shop, run_cli: RunCli
) -> None:
    with TestClient(create_app(settings.model_copy(update={"TEXT_EMBEDDER": "minilm"}))) as client:
        coat = add_product(client, shop, "Wool Overcoat", {"COAT-M": "120.00"}, stock=3, category="outerwear")
        add_product(client, shop, "Linen Summer Shirt", {"LSS01-M": "38.00"}, stock=3, category="shirts")
        page = ok(client.get(f"{V1}/products", params={"search": "a jacket for snowy weather"}, headers=shop.staff))
        assert [p["id"] for p in page["items"]] == [coat["id"]]
        reply = ok(
            client.post(f"{V1}/chat", json={"message": "do you sell jackets for snowy weather?"}, headers=shop.staff)
        )
        assert "COAT-M" in reply["reply"]
    result = run_cli(
        "reembed",
        "--client",
        shop.client_id,
        DATABASE_URL=settings.DATABASE_URL or "",
        REDIS_URL=settings.REDIS_URL or "",
        SECRET_KEY=TEST_SECRET,
        DATA_DIR=str(settings.DATA_DIR),
        TEXT_EMBEDDER="minilm",
    )
    assert result.returncode == 0, result.stderr
    assert f"0 product texts of {shop.client_id} embedded with all-minilm-l6-v2" in result.stdout  # already fresh
