"""Authorization matrix: each role against each foundation endpoint, on both databases."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from factories import Tenant, bearer, make_tenant

from server.settings import Settings

ROLES = ("anon", "shopper", "merchant", "other_merchant", "organizer", "other_organizer")


def headers_for(role: str, mine: Tenant, other: Tenant) -> dict[str, str]:
    return {
        "anon": {},
        "shopper": bearer(mine.shopper),
        "merchant": bearer(mine.merchant),
        "other_merchant": bearer(other.merchant),
        "organizer": bearer(mine.organizer),
        "other_organizer": bearer(other.organizer),
    }[role]


def expect(anon: int, shopper: int, merchant: int, other_merchant: int, organizer: int,
           other_organizer: int) -> dict[str, int]:
    return dict(zip(ROLES, (anon, shopper, merchant, other_merchant, organizer, other_organizer), strict=True))


async def test_authorization_matrix(client: TestClient[Any, Any], settings: Settings) -> None:
    mine = await make_tenant(client, settings, "fest")
    other = await make_tenant(client, settings, "other")
    f, s = "/api/v1/festivals/fest", "/api/v1/stores/fest-store"
    counter = iter(range(1000))

    def new_store() -> dict[str, Any]:
        return {"slug": f"new-{next(counter)}", "name_ko": "새 가게", "name_en": "New", "kind": "brand_shop"}

    cases: list[tuple[str, str, Any, dict[str, int]]] = [
        ("GET", f, None, expect(200, 200, 200, 200, 200, 200)),
        ("PATCH", f, {"name_en": "Renamed"}, expect(401, 403, 403, 403, 200, 404)),
        ("POST", f + "/merchants", {"name": "m"}, expect(401, 403, 403, 403, 201, 404)),
        ("GET", f + "/merchants", None, expect(401, 403, 403, 403, 200, 404)),
        ("GET", f + "/stores", None, expect(401, 403, 403, 403, 200, 404)),
        ("POST", "/api/v1/stores", new_store, expect(401, 403, 201, 201, 403, 403)),
        ("GET", "/api/v1/stores", None, expect(401, 403, 200, 200, 403, 403)),
        ("PATCH", s, {"name_en": "Shop 2"}, expect(401, 403, 200, 404, 403, 403)),
        ("PUT", s + "/status", {"status": "approved"}, expect(401, 403, 403, 403, 200, 404)),
        ("GET", s, None, expect(200, 200, 200, 200, 200, 200)),
        ("GET", "/api/v1/sessions/current", None, expect(401, 200, 200, 200, 200, 200)),
        ("POST", "/api/v1/sessions", {"display_name": "x"}, expect(201, 201, 201, 201, 201, 201)),
    ]
    failures = []
    for method, path, body, expected in cases:
        for role in ROLES:
            payload = body() if callable(body) else body
            r = await client.request(method, path, json=payload, headers=headers_for(role, mine, other))
            client.session.cookie_jar.clear()
            if r.status != expected[role]:
                failures.append(f"{method} {path} as {role}: {r.status} != {expected[role]} {await r.text()}")
            if r.status >= 400:
                assert r.content_type == "application/problem+json"
    assert not failures, "\n".join(failures)


async def test_pending_store_is_hidden_from_all_but_its_managers(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    mine = await make_tenant(client, settings, "fest")
    other = await make_tenant(client, settings, "other")
    r = await client.put("/api/v1/stores/fest-store/status", json={"status": "suspended"},
                         headers=bearer(mine.organizer))
    assert r.status == 200
    expected = expect(404, 404, 200, 404, 200, 404)
    for role in ROLES:
        r = await client.get("/api/v1/stores/fest-store", headers=headers_for(role, mine, other))
        assert r.status == expected[role], role
    festival = await (await client.get("/api/v1/festivals/fest")).json()
    assert festival["stores"] == []


async def test_invalid_and_revoked_tokens_are_401(client: TestClient[Any, Any], settings: Settings) -> None:
    mine = await make_tenant(client, settings, "fest")
    for header in ("Bearer nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        r = await client.get("/api/v1/sessions/current", headers={"Authorization": header})
        assert r.status == 401
    r = await client.delete("/api/v1/sessions/current", headers=bearer(mine.shopper))
    assert r.status == 204
    r = await client.get("/api/v1/sessions/current", headers=bearer(mine.shopper))
    assert r.status == 401


async def test_rotating_a_merchant_token_revokes_the_old_one(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    mine = await make_tenant(client, settings, "fest")
    r = await client.post(f"/api/v1/festivals/fest/merchants/{mine.merchant_id}/token",
                          headers=bearer(mine.organizer))
    assert r.status == 201
    new = (await r.json())["token"]
    assert (await client.get("/api/v1/stores", headers=bearer(mine.merchant))).status == 401
    assert (await client.get("/api/v1/stores", headers=bearer(new))).status == 200
    r = await client.post("/api/v1/festivals/fest/merchants/999999/token", headers=bearer(mine.organizer))
    assert r.status == 404


async def test_shopper_session_cookie_is_httponly_and_authenticates(client: TestClient[Any, Any]) -> None:
    r = await client.post("/api/v1/sessions", json={"display_name": "하늘", "locale": "ko"})
    assert r.status == 201
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = await client.get("/api/v1/sessions/current")
    assert me.status == 200
    assert (await me.json())["session"]["display_name"] == "하늘"


async def test_tokens_are_stored_only_hashed(client: TestClient[Any, Any], settings: Settings) -> None:
    from sqlalchemy import select

    from server.persistence.engine import make_engine
    from server.persistence.tables import ApiToken

    mine = await make_tenant(client, settings, "fest")
    engine = make_engine(settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            hashes = (await conn.execute(select(ApiToken.token_hash))).scalars().all()
    finally:
        await engine.dispose()
    assert len(hashes) >= 3
    for token in (mine.organizer, mine.merchant, mine.shopper):
        assert token not in hashes
        assert len(token) >= 43  # 32 random bytes in URL-safe base64, plus the role prefix
