"""Festival-wide search, its synonyms, zero-result queries and the shopping advisor (docs/API.md, Search)."""

from __future__ import annotations

from datetime import UTC, datetime

from server import advisor_llm, keys
from server.contracts import search as cs
from server.domain.errors import NotFound
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import access, advisor, search, search_synonyms

F = "/api/v1/festivals/{festival}"


@api.op("GET", F + "/search", summary="Search the products of every store of the festival (ranked, with facets)",
        tag="search", query=cs.SearchQuery, response=cs.SearchResult)
async def get_search(call: Call[None, cs.SearchQuery]) -> cs.SearchResult:
    return await search.search(database_of(call.request), call.path("festival"), call.query, datetime.now(UTC),
                               call.request.app[keys.SEARCH_ANSWERS])


@api.op("GET", F + "/search/synonyms", summary="The festival's search synonyms", tag="search",
        response=cs.SynonymsOut, roles=("organizer",))
async def get_synonyms(call: Call[None, None]) -> cs.SynonymsOut:
    async with database_of(call.request).read() as db:
        festival = await access.organizer_festival(db, call.user, call.path("festival"))
        groups, default = await db.run_sync(lambda s: search_synonyms.synonyms_sync(s.connection(), festival.id))
    return cs.SynonymsOut(groups=groups, default=default)


@api.op("PUT", F + "/search/synonyms", summary="Replace the festival's search synonyms", tag="search",
        body=cs.SynonymsBody, response=cs.SynonymsOut, roles=("organizer",))
async def put_synonyms(call: Call[cs.SynonymsBody, None]) -> cs.SynonymsOut:
    async with database_of(call.request).write() as db:
        festival = await access.organizer_festival(db, call.user, call.path("festival"))
        await db.run_sync(lambda s: search_synonyms.set_synonyms(s.connection(), festival.id, call.body.groups))
    return cs.SynonymsOut(groups=call.body.groups, default=False)


@api.op("GET", F + "/search/misses", summary="The festival's most frequent queries that found nothing",
        tag="search", query=cs.MissesQuery, response=cs.MissesOut, roles=("organizer",))
async def get_festival_misses(call: Call[None, cs.MissesQuery]) -> cs.MissesOut:
    async with database_of(call.request).read() as db:
        festival = await access.organizer_festival(db, call.user, call.path("festival"))
        rows = await db.run_sync(lambda s: search_synonyms.top_misses(
            s.connection(), festival.id, None, days=call.query.days, limit=call.query.limit, now=datetime.now(UTC)))
    return cs.MissesOut(items=[cs.MissCount(query=q, count=n) for q, n in rows])


@api.op("GET", "/api/v1/stores/{store}/search/misses", summary="The store's most frequent queries that found "
        "nothing (its merchant and the organizer)", tag="search", query=cs.MissesQuery, response=cs.MissesOut,
        roles=("merchant", "organizer"))
async def get_store_misses(call: Call[None, cs.MissesQuery]) -> cs.MissesOut:
    async with database_of(call.request).read() as db:
        store = await access.store_by_slug(db, call.path("store"))
        if not access.can_manage_store(call.user, store):
            raise NotFound(f"no store {call.path('store')!r}")
        rows = await db.run_sync(lambda s: search_synonyms.top_misses(
            s.connection(), store.festival_id, store.id, days=call.query.days, limit=call.query.limit,
            now=datetime.now(UTC)))
    return cs.MissesOut(items=[cs.MissCount(query=q, count=n) for q, n in rows])


@api.op("POST", "/api/v1/advisor", summary="Ask the shopping advisor (Korean or English): an answer with product "
        "cards from search", tag="search", body=cs.AdvisorBody, response=cs.AdvisorAnswer, limit="advisor")
async def post_advisor(call: Call[cs.AdvisorBody, None]) -> cs.AdvisorAnswer:
    settings = call.request.app[keys.SETTINGS]
    if settings.advisor_llm_url:
        return await advisor_llm.advise(settings, database_of(call.request), call.body, datetime.now(UTC))
    return await advisor.advise(database_of(call.request), call.body, datetime.now(UTC))
