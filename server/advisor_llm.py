"""The optional LLM provider of the shopping advisor: an OpenAI-compatible chat API with search as its one tool.

Off unless ``VRSTORE_ADVISOR_LLM_URL`` is set. The model may call ``search_products`` (up to three times); its
final message must be JSON ``{"answer", "cards": [{"store", "sku", "reason"}]}``. A card is kept only when that
product was in a search result given to the model in this conversation, and it carries the search hit (name,
festival price) as search returned it: the model can word the answer, never invent a product or a price. Any
failure (network, timeout, a reply that is not that JSON, no card left) falls back to the built-in advisor.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import aiohttp
from pydantic import ValidationError

from server.contracts import search as cs
from server.persistence.database import Database
from server.services import advisor
from server.services.search import search_sync
from server.settings import Settings

log = logging.getLogger("vrstore.advisor")
MAX_TOOL_ROUNDS = 3
SYSTEM = ("You are the shopping advisor of a Korean online sale festival. Find products only with the "
          "search_products tool; never name a product or a price that no search returned. Answer in {lang}. Reply "
          'at the end with JSON only: {{"answer": "...", "cards": [{{"store": "...", "sku": "...", "reason": "..."}}]}}'
          ", at most {limit} cards, taken from the search results.")
TOOL = {"type": "function", "function": {
    "name": "search_products", "description": "Search the festival's products (Korean or English words)",
    "parameters": {"type": "object", "properties": {
        "q": {"type": "string"}, "category": {"type": "string"}, "min_price": {"type": "integer"},
        "max_price": {"type": "integer"}, "on_sale": {"type": "boolean"}, "in_stock": {"type": "boolean"},
        "store": {"type": "string"}}, "additionalProperties": False}}}


async def advise(settings: Settings, database: Database, body: cs.AdvisorBody, now: datetime) -> cs.AdvisorAnswer:
    """The LLM's answer when it gives one that holds, else the built-in advisor's."""
    try:
        answer = await _ask(settings, database, body, now)
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, ValidationError) as exc:
        log.warning("advisor LLM failed, answering built-in: %s", exc)
        answer = None
    return answer or await advisor.advise(database, body, now)


async def _ask(settings: Settings, database: Database, body: cs.AdvisorBody, now: datetime
               ) -> cs.AdvisorAnswer | None:
    festival = body.festival
    if festival is None:
        festival = await database.read_sync(advisor.festival_of_store, body.store)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM.format(lang="Korean" if body.lang == "ko" else "English",
                                                    limit=body.limit)},
        {"role": "user", "content": body.message + (f"\n(this = {body.cart[0].store}/{body.cart[0].sku})"
                                                    if body.cart else "")}]
    seen: dict[tuple[str, str], cs.SearchHit] = {}
    headers = {"Authorization": f"Bearer {settings.advisor_llm_key.get_secret_value()}"} \
        if settings.advisor_llm_key else {}
    url = str(settings.advisor_llm_url).rstrip("/") + "/chat/completions"
    timeout = aiohttp.ClientTimeout(total=settings.advisor_llm_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        for _ in range(MAX_TOOL_ROUNDS + 1):
            payload = {"model": settings.advisor_llm_model, "messages": messages, "tools": [TOOL]}
            async with session.post(url, json=payload) as response:
                response.raise_for_status()
                reply = (await response.json())["choices"][0]["message"]
            calls = reply.get("tool_calls") or []
            if not calls:
                return _answer(reply.get("content") or "", seen, body)
            messages.append({"role": "assistant", "content": reply.get("content"), "tool_calls": calls})
            for call in calls:
                result = await _search(database, festival, call["function"].get("arguments") or "{}", now)
                for hit in result:
                    seen[(hit.store, hit.sku)] = hit
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(
                    [{"store": h.store, "sku": h.sku, "name": h.name.model_dump(), "category": h.category,
                      "price_min": h.price_min, "price_max": h.price_max, "on_sale": h.on_sale,
                      "in_stock": h.in_stock} for h in result], ensure_ascii=False)})
    return None


async def _search(database: Database, festival: str, arguments: str, now: datetime) -> list[cs.SearchHit]:
    try:
        query = cs.SearchQuery.model_validate({**json.loads(arguments), "limit": 10})
    except (ValueError, ValidationError):
        return []  # the model's arguments did not hold: it sees an empty result
    return (await database.read_sync(search_sync, festival, query, now)).items


def _answer(content: str, seen: dict[tuple[str, str], cs.SearchHit], body: cs.AdvisorBody
            ) -> cs.AdvisorAnswer | None:
    text = content.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    doc = json.loads(text)
    cards = []
    for card in doc.get("cards", [])[:body.limit]:
        hit = seen.get((str(card.get("store")), str(card.get("sku"))))
        if hit is not None:  # only products a search returned, with the price search gave
            cards.append(cs.AdvisorCard(product=hit, store=hit.store, reason=str(card.get("reason", ""))[:300]))
    if not cards:
        return None
    understood = cs.Understood(words=[], price_min=None, price_max=None, category=None, colour=None, size=None,
                               on_sale=None, in_stock=None, gift_for=None, complement_of=None, cheaper_than=None)
    return cs.AdvisorAnswer(answer=str(doc.get("answer", ""))[:2000], cards=cards, understood=understood,
                            provider="llm")
