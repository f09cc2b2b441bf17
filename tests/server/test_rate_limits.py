"""Abuse limits (issue 15/16): sliding windows per client, 429 + Retry-After, settings that say what they want."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import bearer, checkout_body, create_festival, make_settings, make_tenant, new_shopper, running_client

from server import keys
from server.domain.rate_limits import RULES, BadLimits, resolve
from server.settings import SettingsProblem, load_settings


def test_defaults_overrides_and_off() -> None:
    defaults = resolve("")
    assert set(defaults) == set(RULES) and all(item is not None for item in defaults.values())
    chosen = resolve("sessions=5/second, checkout=off")
    assert str(chosen["sessions"]) == "5 per 1 second" and chosen["checkout"] is None
    assert all(item is None for item in resolve("OFF").values())
    with pytest.raises(BadLimits, match="name one of"):
        resolve("guesses=1/second")
    with pytest.raises(BadLimits, match="30/minute"):
        resolve("sessions=lots")


def test_a_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRSTORE_RATE_LIMITS", "sessions=lots")
    with pytest.raises(SettingsProblem, match="VRSTORE_RATE_LIMITS") as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def _sqlite(tmp_path: Path, **overrides: object):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}", **overrides)


def _new_visitor(client, **headers: str):  # type: ignore[no-untyped-def]
    """POST /sessions as a visitor without a session yet: the test client's jar would send the previous visitor's
    cookie, without an Origin, which the CSRF check refuses (test_csrf.py)."""
    client.session.cookie_jar.clear()
    return client.post("/api/v1/sessions", json={"display_name": "a"}, headers=headers)


async def test_session_creation_is_limited_per_address(tmp_path: Path) -> None:
    settings = _sqlite(tmp_path, rate_limits="sessions=3/minute", forwarded_hops=1)
    async with running_client(settings) as client:
        def create(address: str):  # type: ignore[no-untyped-def]
            # The proxy appends the address it saw; whatever the client put further left is not trusted.
            return _new_visitor(client, **{"X-Forwarded-For": f"6.6.6.{len(address)}, {address}"})

        for _ in range(3):
            assert (await create("10.0.0.1")).status == 201
        refused = await create("10.0.0.1")
        assert refused.status == 429
        assert refused.content_type == "application/problem+json"
        body = await refused.json()
        assert body["type"].endswith("/rate-limited") and body["retry_after_s"] >= 1
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (await create("10.0.0.2")).status == 201  # another address has its own window


async def test_without_proxies_the_socket_address_counts(tmp_path: Path) -> None:
    async with running_client(_sqlite(tmp_path, rate_limits="sessions=2/minute")) as client:
        statuses = [(await _new_visitor(client, **{"X-Forwarded-For": f"10.0.0.{i}"})).status for i in range(3)]
    assert statuses == [201, 201, 429]  # a forged header does not buy a new window


async def test_ticket_taking_is_limited_per_session(tmp_path: Path) -> None:
    settings = _sqlite(tmp_path, rate_limits="queue_tickets=2/minute")
    async with running_client(settings) as client:
        await create_festival(settings)  # once the app has migrated the database
        tokens = []
        for _ in range(2):
            r = await _new_visitor(client)
            tokens.append((await r.json())["token"])
        mine, other = ({"Authorization": f"Bearer {t}"} for t in tokens)
        statuses = [(await client.post("/api/v1/festivals/fest/queue", headers=mine)).status for _ in range(3)]
        assert statuses == [201, 201, 429]
        assert (await client.post("/api/v1/festivals/fest/queue", headers=other)).status == 201


async def test_limits_off_lets_everything_through(tmp_path: Path) -> None:
    async with running_client(_sqlite(tmp_path, rate_limits="off")) as client:
        for _ in range(150):  # above the default 120 a minute
            assert (await _new_visitor(client)).status == 201


async def test_the_schema_documents_429_where_a_limit_applies(tmp_path: Path) -> None:
    async with running_client(_sqlite(tmp_path)) as client:
        schema = await (await client.get("/api/v1/openapi.json")).json()
    assert "429" in schema["paths"]["/api/v1/sessions"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/v1/festivals/{festival}/queue"]["post"]["responses"]
    assert "429" not in schema["paths"]["/api/v1/festivals/{festival}/queue"]["get"]["responses"]


async def test_share_code_guessing_is_locked_out(tmp_path: Path) -> None:
    settings = _sqlite(tmp_path, rate_limits="share_code_misses=3/hour,share_code_misses_by_address=5/hour")
    async with running_client(settings) as client:
        owner, _ = await new_shopper(client, "owner")
        code = (await (await client.post("/api/v1/carts", headers=bearer(owner))).json())["share_code"]
        guesser, _ = await new_shopper(client, "guesser")

        async def join(token: str, share_code: str) -> int:
            r = await client.post("/api/v1/carts/join", json={"share_code": share_code}, headers=bearer(token))
            return r.status

        assert [await join(guesser, "ZZZZZZ") for _ in range(4)] == [404, 404, 404, 429]
        assert await join(guesser, code) == 429  # locked out even with the right code, for a while
        second, _ = await new_shopper(client, "second")  # a new session from the same address: 2 misses left
        assert [await join(second, "YYYYYY") for _ in range(3)] == [404, 404, 429]
        third, _ = await new_shopper(client, "third")
        assert await join(third, code) == 429  # the address is locked out
        assert await join(owner, code) == 429  # a lockout holds for everyone at the address, members too


async def test_checkout_uploads_and_builds_are_limited(tmp_path: Path) -> None:
    settings = _sqlite(tmp_path, rate_limits="checkout=2/minute,builds=1/minute,uploads=2/minute")
    async with running_client(settings) as client:
        tenant = await make_tenant(client, settings)
        cart = (await (await client.post("/api/v1/carts", headers=bearer(tenant.shopper))).json())["id"]
        statuses = []
        for i in range(3):
            r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                  headers={**bearer(tenant.shopper), "Idempotency-Key": f"k{i}"})
            statuses.append(r.status)
        assert statuses[2] == 429 and 429 not in statuses[:2]
        merchant = bearer(tenant.merchant)
        layout = [(await client.put(f"/api/v1/stores/{tenant.store}/layout", json={"template": "grid"},
                                    headers=merchant)).status for _ in range(3)]
        assert layout[2] == 429 and 429 not in layout[:2]
        builds = [(await client.post(f"/api/v1/stores/{tenant.store}/builds", headers=merchant)).status
                  for _ in range(2)]
        assert builds[1] == 429 and builds[0] != 429
        await client.server.app[keys.BUILDS].idle.wait()
