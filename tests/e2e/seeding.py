"""Seed a running demo server over its public API: catalogs, scene builds, a portal layout.

The ``vrstore demo`` command creates the festival and its four approved stores; this module gives each
store a sample catalog and a built scene unless the demo already did, so the browser tests have something
to walk through. Everything goes through the REST API, as a merchant would.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from storefront_builder.catalog.sample import sample_catalog_json

FESTIVAL = "korea-sale-festa"
PRODUCTS_PER_STORE = 36
TOKEN_LINE = re.compile(r"store (?P<slug>[a-z0-9-]+): \S+\s+merchant token (?P<token>vrm_[A-Za-z0-9_-]+)")
ORGANIZER_LINE = re.compile(r"organizer:\s+\S+\s+token (?P<token>vro_[A-Za-z0-9_-]+)")


@dataclass
class Seeded:
    url: str
    organizer: str
    merchants: dict[str, str] = field(default_factory=dict)
    stores: list[str] = field(default_factory=list)


class ApiError(RuntimeError):
    pass


def call(url: str, method: str = "GET", body: Any = None, *, token: str | None = None,
         raw: bytes | None = None, content_type: str = "application/json",
         headers: dict[str, str] | None = None) -> Any:
    """One JSON request; raises ApiError with the problem document on a 4xx/5xx."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read()
    except urllib.error.HTTPError as exc:
        raise ApiError(f"{method} {url}: {exc.code} {exc.read()[:500]!r}") from None
    return json.loads(text) if text else None


def parse_tokens(output: str) -> tuple[str, dict[str, str]]:
    """The organizer and merchant tokens printed by ``vrstore demo --seed-only``."""
    flat = re.sub(r"\s+", " ", output)
    organizer = ORGANIZER_LINE.search(flat)
    if organizer is None:
        raise ApiError(f"no organizer token in demo output: {output[:500]}")
    return organizer["token"], {m["slug"]: m["token"] for m in TOKEN_LINE.finditer(flat)}


def wait_build(url: str, build_id: str, token: str, timeout: float = 120) -> dict[str, Any]:
    """Poll a build until it finishes (the server reports progress; there is no event to wait on)."""
    deadline = time.monotonic() + timeout
    while True:
        build: dict[str, Any] = call(f"{url}/api/v1/builds/{build_id}", token=token)
        if build["status"] in ("succeeded", "failed"):
            if build["status"] == "failed":
                raise ApiError(f"build {build_id} failed: {build.get('error')}")
            return build
        if time.monotonic() > deadline:
            raise ApiError(f"build {build_id} still {build['status']} after {timeout}s")
        time.sleep(0.2)  # polling the build resource is the API's contract


def seed_stores(url: str, organizer: str, merchants: dict[str, str]) -> Seeded:
    """Give every approved store of the demo festival a catalog and a scene (if it has none yet)."""
    festival = call(f"{url}/api/v1/festivals/{FESTIVAL}")
    seeded = Seeded(url=url, organizer=organizer, merchants=merchants)
    pending: list[tuple[str, str]] = []
    for store in festival["stores"]:
        slug = store["slug"]
        seeded.stores.append(slug)
        token = merchants[slug]
        detail = call(f"{url}/api/v1/stores/{slug}")
        if not detail["product_count"]:
            catalog = sample_catalog_json(store["kind"], PRODUCTS_PER_STORE, prefix=slug[:3].upper())
            call(f"{url}/api/v1/stores/{slug}/catalog?format=json", "PUT", raw=catalog.encode(), token=token)
        if store.get("scene") is None:
            build = call(f"{url}/api/v1/stores/{slug}/builds", "POST", token=token)
            pending.append((build["id"], token))
    for build_id, token in pending:
        wait_build(url, build_id, token)
    return seeded


# --- a store whose products have variants and pictures (the product panel's browser tests) ----------------

PANEL_STORE = "panel-knits"


@dataclass
class PanelStore:
    url: str
    slug: str
    merchant: str
    products: list[dict[str, Any]] = field(default_factory=list)


def panel_catalog() -> dict[str, Any]:
    """A knit in two colours × two sizes (블랙/L does not exist, 네이비/L is sold out, 블랙 is on sale) and a mug
    with a name too long for its shelf label. The knit's description looks like markup: it must show as text."""
    knit = {"name_ko": "울 라운드 니트", "name_en": "Wool crew knit", "category": ["의류", "상의"], "brand": "성수니트",
            "description": "<b>부드러운</b> 메리노 울 100%\n손세탁 권장", "variant_group": "KNIT",
            "dimensions": {"width": 0.3, "height": 0.08, "depth": 0.35}}
    return {"currency": "KRW", "products": [
        {**knit, "sku": "KNIT-NV-M", "options": {"색상": "네이비", "사이즈": "M"}, "price": 49000, "stock": 7},
        {**knit, "sku": "KNIT-NV-L", "options": {"색상": "네이비", "사이즈": "L"}, "price": 49000, "stock": 0},
        {**knit, "sku": "KNIT-BK-M", "options": {"색상": "블랙", "사이즈": "M"}, "price": 52000,
         "sale_price": 45000, "stock": 3},
        {"sku": "MUG-1", "name_ko": "제주 현무암 유약 핸드메이드 머그컵 대용량 450ml 선물 포장",
         "name_en": "Jeju basalt glaze handmade mug, large 450 ml, gift wrapped", "category": ["생활", "주방"],
         "description": "제주에서 빚은 머그컵", "price": 28000, "sale_price": 21000, "stock": 12,
         "dimensions": {"width": 0.2, "height": 0.12, "depth": 0.2}},
    ]}


def picture_png(colour: tuple[int, int, int]) -> bytes:
    """A small product picture made here: a coloured sweater-ish shape on white."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.polygon([(90, 40), (230, 40), (290, 110), (250, 130), (240, 210), (80, 210), (70, 130), (30, 110)],
                 fill=colour)
    draw.ellipse((135, 30, 185, 60), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_panel_store(url: str, organizer: str, festival: str, slug: str = PANEL_STORE) -> PanelStore:
    """Open, approve and build a store in ``festival`` (whose organizer token is given), over the public API: the
    catalog above, a picture for each knit colour and the mug, a scene."""
    merchant = call(f"{url}/api/v1/festivals/{festival}/merchants", "POST", {"name": "성수니트"},
                    token=organizer)["token"]
    call(f"{url}/api/v1/stores", "POST", {"slug": slug, "name_ko": "성수 니트", "name_en": "Seongsu Knits",
                                          "kind": "street_district"}, token=merchant)
    catalog = json.dumps(panel_catalog(), ensure_ascii=False).encode()
    call(f"{url}/api/v1/stores/{slug}/catalog?format=json", "PUT", raw=catalog, token=merchant)
    for sku, colour in (("KNIT-NV-M", (30, 45, 90)), ("KNIT-NV-L", (30, 45, 90)), ("KNIT-BK-M", (25, 25, 25)),
                        ("MUG-1", (90, 90, 96))):
        call(f"{url}/api/v1/stores/{slug}/products/{sku}/image", "PUT", raw=picture_png(colour),
             token=merchant, content_type="image/png")
    call(f"{url}/api/v1/stores/{slug}/status", "PUT", {"status": "approved"}, token=organizer)
    build = call(f"{url}/api/v1/stores/{slug}/builds", "POST", token=merchant)
    wait_build(url, build["id"], merchant)
    products = call(f"{url}/api/v1/stores/{slug}/snapshot")["products"]
    return PanelStore(url=url, slug=slug, merchant=merchant, products=products)
