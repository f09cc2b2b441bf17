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
