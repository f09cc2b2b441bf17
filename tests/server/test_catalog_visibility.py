"""Catalog fidelity on the server (issue 17): hidden products stay off the store, its products, its snapshot, carts,
checkout, live events and scene builds, yet the merchant sees them with their status; variants share a group;
the import report counts products, variants, hidden products by reason and images, with codes in both languages."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from factories import Tenant, bearer, checkout_body, make_tenant

from server import keys, pool_jobs
from server.builds import read_store_job
from server.domain.events import Event, ProductChanged
from server.persistence.tables import Store
from server.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "storefront_builder" / "fixtures"
SHOPIFY = (FIXTURES / "shopify_visibility.csv").read_bytes()
ON_SALE = ["LS-S-WHT", "LS-M-WHT", "LS-M-BLU", "CUP-001"]
HIDDEN = {"HAT-S": "draft", "HAT-L": "draft", "MUG-OLD": "archived", "GIFT-10000": "unpublished",
          "GIFT-50000": "unpublished", "SCARF-1": "unpublished"}


async def _upload(client: TestClient[Any, Any], t: Tenant, data: bytes, content_type: str = "text/csv") -> Any:
    return await client.put(f"/api/v1/stores/{t.store}/catalog", data=io.BytesIO(data),
                            headers={**bearer(t.merchant), "Content-Type": content_type})


async def _all_products(client: TestClient[Any, Any], t: Tenant, token: str | None, query: str = "") -> list[Any]:
    headers = bearer(token) if token else {}
    r = await client.get(f"/api/v1/stores/{t.store}/products?limit=200{query}", headers=headers)
    assert r.status == 200, await r.text()
    return list((await r.json())["items"])


async def test_the_import_report_counts_and_explains_in_both_languages(client: TestClient[Any, Any],
                                                                       settings: Settings) -> None:
    t = await make_tenant(client, settings)
    r = await _upload(client, t, SHOPIFY)
    assert r.status == 200, await r.text()
    report = await r.json()
    assert (report["imported"], report["products"], report["variants"], report["rejected"]) == (10, 6, 10, 1)
    assert report["hidden"] == {"hidden_draft": 1, "hidden_archived": 1, "hidden_gift_card": 1,
                                "hidden_unpublished": 1}
    assert (report["images"], report["images_fetch"]) == (7, "off")
    draft = next(n for n in report["notices"] if n["code"] == "hidden_draft")
    assert draft == {"row": 6, "column": "Status", "message": "draft: not on sale", "code": "hidden_draft",
                     "message_ko": "임시저장: 판매하지 않음", "params": {"group": "straw-hat", "variants": 2}}
    [error] = report["errors"]
    assert (error["row"], error["column"], error["code"]) == (14, "Status", "status_unknown")
    assert error["message_ko"].startswith("알 수 없는 상태입니다") and error["params"] == {"text": "someday"}


async def test_hidden_products_never_reach_shoppers_but_the_merchant_sees_them(client: TestClient[Any, Any],
                                                                               settings: Settings) -> None:
    t = await make_tenant(client, settings)
    assert (await _upload(client, t, SHOPIFY)).status == 200
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    assert store["product_count"] == len(ON_SALE)
    assert [p["sku"] for p in await _all_products(client, t, None)] == ON_SALE
    snapshot = await (await client.get(f"/api/v1/stores/{t.store}/snapshot")).json()
    assert [p["sku"] for p in snapshot["products"]] == ON_SALE
    for sku in HIDDEN:
        assert (await client.get(f"/api/v1/stores/{t.store}/products/{sku}")).status == 404
        r = await client.post("/api/v1/carts", headers=bearer(t.shopper))
        cart = (await r.json())["id"]
        r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": sku, "quantity": 1},
                              headers=bearer(t.shopper))
        assert r.status == 404, sku  # what an inactive (removed) product gets
    # Only the store's managers may ask for the hidden ones.
    for token in (None, t.shopper):
        r = await client.get(f"/api/v1/stores/{t.store}/products?include_hidden=true",
                             headers=bearer(token) if token else {})
        assert r.status == 403, token
    mine = await _all_products(client, t, t.merchant, "&include_hidden=true")
    assert {p["sku"]: p["status"] for p in mine} == {**dict.fromkeys(ON_SALE, "active"), **HIDDEN}
    organizer = await _all_products(client, t, t.organizer, "&include_hidden=true")
    assert len(organizer) == len(mine)
    r = await client.get(f"/api/v1/stores/{t.store}/products/HAT-S", headers=bearer(t.merchant))
    assert r.status == 200 and (await r.json())["status"] == "draft"


async def test_variants_share_a_group_with_their_options_barcodes_and_availability(
        client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    assert (await _upload(client, t, SHOPIFY)).status == 200
    shopper = {p["sku"]: p for p in await _all_products(client, t, None)}
    small, medium, blue, cup = (shopper[s] for s in ON_SALE)
    assert {small["group"], medium["group"], blue["group"]} == {"linen-shirt"}
    assert cup["group"] == "tea-cup"  # Shopify's handle, even without variants
    assert list(small["options"].items()) == [("Size", "S"), ("Color", "White"), ("Material", "Linen")]
    assert (small["barcode"], blue["barcode"]) == ("8801234500017", "INT-0042")
    assert (small["availability"], medium["availability"]) == ("in_stock", "out_of_stock")  # by live stock
    # No uploaded image: nothing a client could load; the file's remote URLs are for the merchant's eyes only.
    assert (small["images"], small["image"], small["image_sources"]) == ([], None, [])
    merchant = {p["sku"]: p for p in await _all_products(client, t, t.merchant)}
    assert merchant["LS-S-WHT"]["image_sources"][:2] == ["https://cdn.example.com/ls-white.jpg",
                                                          "https://cdn.example.com/ls-1.jpg"]
    # A feed's preorder stays preorder whatever the stock.
    feed = (FIXTURES / "google_groups.tsv").read_bytes()
    assert (await _upload(client, t, feed, "text/tab-separated-values")).status == 200
    feed_products = {p["sku"]: p for p in await _all_products(client, t, None)}
    assert feed_products["TEE-L"]["availability"] == "preorder"
    assert feed_products["MUG-1"]["availability"] == "backorder"
    assert feed_products["TEE-M"]["status"] == "active" and feed_products["TEE-M"]["stock"] == 0


async def test_a_product_hidden_by_a_new_catalog_is_refused_at_checkout_and_keeps_quiet(
        client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    assert (await _upload(client, t, SHOPIFY)).status == 200
    r = await client.post("/api/v1/carts", headers=bearer(t.shopper))
    cart = (await r.json())["id"]
    r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": "LS-S-WHT", "quantity": 1},
                          headers=bearer(t.shopper))
    assert r.status == 201, await r.text()
    # The merchant sets the shirt back to draft: the row stays (the cart line points at it), hidden.
    drafted = SHOPIFY.replace(b"https://cdn.example.com/ls-white.jpg,,,active", b"https://cdn.example.com/ls-white.jpg,,,draft")
    report = await (await _upload(client, t, drafted)).json()
    assert report["hidden"]["hidden_draft"] == 2 and report["deactivated"] == 0
    view = await (await client.get(f"/api/v1/carts/{cart}", headers=bearer(t.shopper))).json()
    assert [line["sku"] for line in view["lines"]] == ["LS-S-WHT"]  # the cart still reads
    r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                          headers={**bearer(t.shopper), "Idempotency-Key": "hidden-1"})
    problem = await r.json()
    assert r.status == 409 and problem["type"].endswith("/product-unavailable"), problem
    assert problem["unavailable"][0]["sku"] == "LS-S-WHT"
    # A price change of a hidden product is not announced to the shoppers in the store.
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    client.server.app[keys.EVENTS].subscribe(listen)
    r = await client.patch(f"/api/v1/stores/{t.store}/products/HAT-S", json={"price": 15000},
                           headers=bearer(t.merchant))
    assert r.status == 200 and (await r.json())["status"] == "draft"
    r = await client.patch(f"/api/v1/stores/{t.store}/products/CUP-001", json={"price": 17000},
                           headers=bearer(t.merchant))
    assert r.status == 200
    assert [(type(e), e.sku) for e in events if isinstance(e, ProductChanged)] == [(ProductChanged, "CUP-001")]


async def test_a_whole_file_error_has_a_code_and_korean_text(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    r = await _upload(client, t, b"skew,prodct name,prise\nA,Tea,100\n")
    problem = await r.json()
    assert r.status == 422, problem
    [error] = problem["errors"]
    assert error["code"] == "header_unrecognised" and "'prise' → price" in error["msg"]
    assert error["msg_ko"].startswith("머리글로 카탈로그 형식을 알 수 없습니다")
    r = await _upload(client, t, b"sku,name,price,stock\nP-1,Green tea,\"12,000\",5\n")  # a plain CSV is fine
    assert r.status == 200 and (await r.json())["format"] == "csv"


async def test_a_scene_build_gives_a_product_with_variants_one_slot(client: TestClient[Any, Any],
                                                                    settings: Settings) -> None:
    t = await make_tenant(client, settings)
    assert (await _upload(client, t, SHOPIFY)).status == 200
    async with client.server.app[keys.DATABASE].read() as db:
        from sqlalchemy import select

        store = (await db.execute(select(Store).where(Store.slug == t.store))).scalar_one()
        job = await read_store_job(db, store, client.server.app[keys.STORAGE])
    assert len(job.product_rows) == len(ON_SALE)  # hidden products are not read at all
    result = pool_jobs.build_store_scene(*job.args("test-build"))  # in this process: what the pool runs
    manifest = json.loads((Path(job.scenes_dir) / f"{result['scene_hash']}.json").read_text(encoding="utf-8"))
    assert sorted(manifest["products"]) == ["CUP-001", "LS-S-WHT"]
    assert result["report"]["products_placed"] == 2 and result["report"]["products_unplaced"] == 0


async def test_auto_layouts_limit_counts_products_not_their_variants(client: TestClient[Any, Any], settings: Settings,
                                                                     monkeypatch: Any) -> None:
    import server.http.handlers.merchant as merchant_handlers

    monkeypatch.setattr(merchant_handlers, "MAX_AUTO_PRODUCTS", 3)  # SHOPIFY has 2 products on sale, 4 variants
    t = await make_tenant(client, settings)
    assert (await _upload(client, t, SHOPIFY)).status == 200
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 202, await r.text()
    monkeypatch.setattr(merchant_handlers, "MAX_AUTO_PRODUCTS", 1)
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 422 and "2 products" in (await r.json(content_type=None))["detail"]
