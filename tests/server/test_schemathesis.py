"""Schemathesis over every operation of a live server, with every check, as every role: no server error, no schema
violation, and the schema states the rules the server enforces (what it allows is accepted, the rest refused).

The API declares no OpenAPI links, so the stateful phase is left out. Instead the roles run against real data (a
festival, an approved store with products, a cart with a line, an order, a waiting-room ticket) whose ids a config
file gives as the path parameters, so that operations get past "not found" to their rules; the anonymous run
keeps generated path parameters (unknown and malformed ids).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import LiveServer, start_live_server, stop_live_server

# Per operation and role, after the deterministic coverage phase (wrong types, bounds, patterns, missing fields).
# Two runs at a time take about 30 s here; the whole test stays under 70 s (most of what it finds, the coverage
# phase finds).
MAX_EXAMPLES = 25

# Rules that depend on what is stored, on the clock or on the bytes of an upload, which no schema can state; a
# schema-valid request may meet one and is then answered as docs/API.md documents (422, or 415 for a model upload
# that is not binary glTF). Every other operation must accept whatever its schema allows.
ANALYTICS_RANGE = ("the analytics range (until defaults to now) must start before it ends, lie in 2000–2100 and "
                   "span at most 2 days of minutes, 62 days of hours or 400 days of days")
WAYFINDING_FROM = "a point of the right form that is not on the scene's floor, or from which no way leads"
STATE_RULES: dict[str, tuple[str, str]] = {
    "add_line": ("422", "99 units per line after merging; 100 lines; one currency and festival per cart"),
    "checkout_cart": ("422", "the cart is empty; the pickup slot is past or over 90 days ahead, or not one the "
                             "stores' opening hours offer; expected_prices names lines not in the cart; the pickup "
                             "store is not one of the cart's"),
    "put_fulfilment": ("422", "a remote area's postal range ends before it starts; opening intervals that close "
                              "before they open or overlap"),
    "patch_festival": ("422", "the sale window would end before it starts, with the bound already stored"),
    "patch_product": ("422", "the sale price would be above the price, stored or sent"),
    "put_discounts": ("422", "a rule names a store that is not in the festival"),
    "put_catalog": ("422", "a catalog file with no valid row"),
    "put_layout": ("422", "a layout document that does not parse or place"),
    "put_image": ("422", "bytes that are no PNG, JPEG or WebP image"),
    "put_model": ("415,422", "bytes that are no binary glTF (415), or a model the build cannot use (422)"),
    "get_overview": ("422", ANALYTICS_RANGE),
    "get_festival_csv": ("422", ANALYTICS_RANGE),
    "get_funnel": ("422", ANALYTICS_RANGE),
    "get_products": ("422", ANALYTICS_RANGE),
    "get_heatmap": ("422", ANALYTICS_RANGE),
    "get_heatmap_png": ("422", ANALYTICS_RANGE),
    "get_store_csv": ("422", ANALYTICS_RANGE),
    "get_store_path": ("422", WAYFINDING_FROM),
    "get_plaza_path": ("422", WAYFINDING_FROM),
}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    # With the abuse limits on, most of the run would be answered 429 (documented, but then no rule behind it is
    # tested); test_rate_limits covers the limits.
    server = start_live_server(tmp_path, extra_env={"VRSTORE_RATE_LIMITS": "off"})
    try:
        yield server
    finally:
        stop_live_server(server)


def _call(live: LiveServer, method: str, path: str, token: str | None = None, body: Any = None,
          headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(live.url + path, data=data, method=method, headers={
        **({"Authorization": f"Bearer {token}"} if token else {}),
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def _world(live: LiveServer) -> dict[str, str]:
    """Tokens of every role and real ids for every path parameter."""
    organizer = live.vrstore("admin", "create-festival", "--slug", "fest", "--name", "축제").strip().splitlines()[-1]
    merchant = _call(live, "POST", "/api/v1/festivals/fest/merchants", organizer, {"name": "m"})
    # The organizer's run rotates this one's token, not the one the merchant's run uses.
    spare = _call(live, "POST", "/api/v1/festivals/fest/merchants", organizer, {"name": "spare"})
    _call(live, "POST", "/api/v1/stores", merchant["token"],
          {"slug": "shop", "name_ko": "가게", "name_en": "Shop", "kind": "convenience_store"})
    catalog = {"currency": "KRW", "products": [
        {"sku": f"SKU-{i}", "name_ko": f"상품 {i}", "price": 1000 * i, "stock": 1000} for i in range(1, 4)]}
    _call(live, "PUT", "/api/v1/stores/shop/catalog", merchant["token"], catalog)
    _call(live, "PUT", "/api/v1/stores/shop/status", organizer, {"status": "approved"})
    shopper = _call(live, "POST", "/api/v1/sessions", body={"display_name": "민지"})["token"]
    paid = _call(live, "POST", "/api/v1/carts", shopper)["id"]
    _call(live, "POST", f"/api/v1/carts/{paid}/lines", shopper, {"store": "shop", "sku": "SKU-2", "quantity": 1})
    every_day = [{"opens": "00:00", "closes": "24:00"}]
    _call(live, "PUT", "/api/v1/stores/shop/fulfilment", merchant["token"], {
        "shipping": {"flat_fee": 3000, "free_over": 50000, "remote_areas": [
            {"first": "63000", "last": "63644", "surcharge": 3000}]},
        "opening_hours": {day: every_day for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
    slot = _call(live, "GET", f"/api/v1/carts/{paid}/pickup_slots", shopper)["slots"][-1]
    group = _call(live, "POST", f"/api/v1/carts/{paid}/checkout", shopper,
                  {"fulfilment": {"type": "pickup", "slot": slot}, "payment": {"provider": "test", "token": "t"}},
                  headers={"Idempotency-Key": "setup"})
    cart = _call(live, "POST", "/api/v1/carts", shopper)["id"]
    line = _call(live, "POST", f"/api/v1/carts/{cart}/lines", shopper,
                 {"store": "shop", "sku": "SKU-1", "quantity": 1})["lines"][0]["id"]
    ticket = _call(live, "POST", "/api/v1/festivals/fest/queue", shopper)["ticket"]
    return {"organizer": organizer, "merchant": merchant["token"], "shopper": shopper,
            "festival": "fest", "store": "shop", "sku": "SKU-1", "cart": str(cart), "line": str(line),
            "order": str(group["orders"][0]["id"]), "merchant_id": str(spare["id"]), "ticket": ticket,
            "group": str(group["id"])}


def _config(tmp_path: Path, world: dict[str, str]) -> Path:
    """The real path parameters, and STATE_RULES."""
    parameters = {name: world[name] for name in ("festival", "store", "sku", "cart", "line", "order", "ticket",
                                                 "group")}
    parameters["merchant"] = world["merchant_id"]
    lines = ["[parameters]", *(f'"path.{k}" = {json.dumps(v)}' for k, v in parameters.items())]
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # schemathesis's own list for valid data
    for operation, (statuses, _why) in STATE_RULES.items():
        lines += ["", "[[operations]]", f'include-operation-id = "{operation}"',
                  "[operations.checks.positive_data_acceptance]",
                  f"expected-statuses = {json.dumps(accepted + statuses.split(','))}"]
    path = tmp_path / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start(live: LiveServer, tmp_path: Path, role: str, token: str | None, config: Path | None) -> Any:
    command = [str(Path(sys.executable).with_name("schemathesis"))]
    if config is not None:
        command += ["--config-file", str(config)]
    command += [
        "run", f"{live.url}/api/v1/openapi.json", "--checks", "all",
        "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES), "--seed", "1",
        # One worker thread each: with two, Hypothesis parses lambda sources concurrently and CPython 3.11.7's ast
        # module trips over its own recursion counter (SystemError: AST constructor recursion depth mismatch).
        "--workers", "1", "--no-color", "--report", "junit", "--report-junit-path", str(tmp_path / f"{role}.xml"),
        "--generation-database", "none", "--generation-with-security-parameters", "false",
        # Signing out would revoke the token the rest of the run uses; test_authz covers it.
        "--exclude-operation-id", "delete_session",
        # Raw uploads accept several media types; Hypothesis filters many draws, which is no server fault.
        "--suppress-health-check", "filter_too_much"]
    if token is not None:
        command += ["-H", f"Authorization: Bearer {token}"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_schemathesis_finds_nothing_as_any_role(live: LiveServer, tmp_path: Path) -> None:
    world = _world(live)
    config = _config(tmp_path, world)
    started = time.monotonic()
    failed: list[str] = []
    # Two at a time (one per core). The organizer runs last, beside the merchant: it may suspend the store the
    # shopper buys in, and it rotates a spare merchant's token, not the merchant's.
    for pair in ((("anonymous", None, None), ("shopper", world["shopper"], config)),
                 (("merchant", world["merchant"], config), ("organizer", world["organizer"], config))):
        runs = [(role, _start(live, tmp_path, role, token, conf)) for role, token, conf in pair]
        for role, process in runs:
            out, _ = process.communicate(timeout=600)
            cases = re.search(r"(\d+) generated", out)
            print(f"{role}: {cases.group(1) if cases else '?'} cases, exit {process.returncode}")
            if process.returncode != 0:
                failed.append(f"--- {role}\n{out[-12000:]}")
    print(f"schemathesis: {time.monotonic() - started:.1f} s")
    assert not failed, "\n".join(failed)
