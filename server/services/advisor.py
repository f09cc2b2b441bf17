"""The built-in shopping advisor: the message read by ``domain/advisor.py``, products found by search.

Every card is a search hit (``services.search.search_sync``), so the advisor never shows a product or a price
that search would not: prices are festival prices from the one pricing function. One advice is one read; a
message that found nothing is counted like a search that found nothing (per store when the shopper is in one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from server.contracts import search as cs
from server.domain import advisor as ad
from server.domain.errors import NotFound, Unprocessable
from server.domain.search_text import category_matches
from server.persistence.database import Database
from server.persistence.tables import Base, on_shelf
from server.services.pricing import load_pricing_sync, quote
from server.services.search import search_sync
from server.services.search_synonyms import record_miss

FESTIVALS = Base.metadata.tables["festivals"]
STORES = Base.metadata.tables["stores"]
PRODUCTS = Base.metadata.tables["products"]
NEAR_WORDS = ("여기", "이 가게", "이 매장", "이 상점", "this store", "this shop", "here")


@dataclass(frozen=True)
class Context:
    """The product the shopper means by "this" (the first cart item)."""

    store: str
    store_id: int
    sku: str
    group: str
    name_ko: str
    name_en: str
    category: str
    price: int


@dataclass(frozen=True)
class Where:
    festival: str
    festival_id: int
    store: str | None
    store_id: int | None


def _where(conn: Connection, body: cs.AdvisorBody) -> Where:
    f, s = FESTIVALS.c, STORES.c
    if body.store is not None:
        row = conn.execute(select(f.slug, f.id, s.id.label("store_id")).join(STORES, s.festival_id == f.id)
                           .where(s.slug == body.store, s.status == "approved")).first()
        if row is None:
            raise NotFound(f"no store {body.store!r}")
        if body.festival is not None and body.festival != row.slug:
            raise NotFound(f"no store {body.store!r} in festival {body.festival!r}")
        return Where(row.slug, row.id, body.store, row.store_id)
    if body.festival is None:
        raise Unprocessable("invalid body", errors=[{"loc": ["body", "festival"], "msg": "give a store or a festival"}])
    festival_id = conn.execute(select(f.id).where(f.slug == body.festival)).scalar_one_or_none()
    if festival_id is None:
        raise NotFound(f"no festival {body.festival!r}")
    return Where(body.festival, festival_id, None, None)


def festival_of_store(conn: Connection, store: str | None) -> str:
    """The festival of an approved store (404 otherwise)."""
    f, s = FESTIVALS.c, STORES.c
    slug = conn.execute(select(f.slug).join(STORES, s.festival_id == f.id)
                        .where(s.slug == store, s.status == "approved")).scalar_one_or_none()
    if slug is None:
        raise NotFound(f"no store {store!r}")
    return str(slug)


def _context(conn: Connection, where: Where, item: cs.CartItem, now: datetime) -> Context | None:
    s, p = STORES.c, PRODUCTS.c
    row = conn.execute(select(s.id, p.sku, p.group_key, p.name_ko, p.name_en, p.category, p.price, p.sale_price,
                              p.currency).join(PRODUCTS, p.store_id == s.id)
                       .where(s.slug == item.store, s.festival_id == where.festival_id, s.status == "approved",
                              p.sku == item.sku, on_shelf(p))).first()
    if row is None:
        return None
    q = quote(price=row.price, sale_price=row.sale_price, currency=row.currency, store_id=row.id,
              category=row.category, festival=load_pricing_sync(conn, where.festival_id), now=now)
    return Context(item.store, row.id, row.sku, row.group_key or row.sku, row.name_ko or row.name_en or row.sku,
                   row.name_en or row.name_ko or row.sku, row.category, q.unit_price)


def _query(intent: ad.Intent, *, q: str, category: str | None, store: str | None, price_max: int | None,
           limit: int) -> cs.SearchQuery:
    options = ",".join(f"{k}:{v}" for k, v in (("색상", intent.colour), ("사이즈", intent.size)) if v)
    return cs.SearchQuery(q=q, category=category, store=store, min_price=intent.price_min, max_price=price_max,
                          on_sale=intent.on_sale, in_stock=intent.in_stock, options=options or None, limit=limit)


def advise_sync(conn: Connection, body: cs.AdvisorBody, now: datetime) -> tuple[cs.AdvisorAnswer, Where]:
    """The built-in advisor's answer to one message, as one read."""
    where = _where(conn, body)
    intent = ad.understand(body.message)
    context = _context(conn, where, body.cart[0], now) if body.cart else None
    near = any(w in body.message.casefold() for w in NEAR_WORDS) and where.store is not None
    store = where.store if near else None
    q = " ".join(intent.words)
    cheaper_than = None
    runs: list[tuple[cs.SearchQuery, str]] = []  # (search, what the cards answer)
    if (intent.cheaper or intent.complement) and context is None:
        return _answer(body, intent, [], where, None, ask_for_this=True), where
    if intent.cheaper and context is not None:
        cheaper_than = context.price
        part = context.category.split(">")[-1].strip() or None
        cap = min(x for x in (intent.price_max, context.price - 1) if x is not None)
        runs.append((_query(intent, q=q, category=intent.category or part, store=store, price_max=cap,
                            limit=body.limit + 1), "cheaper"))
    elif intent.complement and context is not None:
        for category in ((intent.category,) if intent.category else ad.complements(context.category)):
            runs.append((_query(intent, q=q, category=category, store=store, price_max=intent.price_max,
                                limit=body.limit), "complement"))
    elif intent.gift_for is not None:
        for category in ((intent.category,) if intent.category else ad.gift_categories(intent.gift_for)):
            runs.append((_query(intent, q=q, category=category, store=store, price_max=intent.price_max,
                                limit=body.limit), "gift"))
    else:
        runs.append((_query(intent, q=q, category=intent.category, store=store, price_max=intent.price_max,
                            limit=body.limit), "match"))
    cards = _cards(conn, where, runs, context, body.limit, now)
    constrained = intent.category is not None or intent.price_max is not None or intent.price_min is not None
    if not cards and intent.words and runs[0][1] == "match" and (len(intent.words) > 1 or constrained):
        # Drop the words that find nothing on their own (filler the parser did not know), keep the rest; with
        # no word left, the constraints alone (a category, a price) still say what is wanted.
        kept = [w for w in intent.words if search_sync(conn, where.festival, cs.SearchQuery(
            q=w, store=runs[0][0].store, limit=1), now, facets=False).total]  # a word the catalog knows at all stays
        if (kept or constrained) and kept != intent.words:
            intent.words = kept
            runs = [(runs[0][0].model_copy(update={"q": " ".join(kept)}), "match")]
            cards = _cards(conn, where, runs, context, body.limit, now)
    suggestion = _suggest(conn, where, runs, now) if not cards and runs else None
    return _answer(body, intent, cards, where, suggestion, cheaper_than=cheaper_than,
                   complement_of=context.category if intent.complement and context else None), where


def _cards(conn: Connection, where: Where, runs: list[tuple[cs.SearchQuery, str]], context: Context | None,
           limit: int, now: datetime) -> list[tuple[cs.SearchHit, str]]:
    """Search hits for every run, taken in turns (a gift's categories alternate), each product once."""
    results = [(search_sync(conn, where.festival, query, now, facets=False).items, why) for query, why in runs]
    seen: set[tuple[str, str]] = set()
    if context is not None:
        seen.add((context.store, context.group))
    cards: list[tuple[cs.SearchHit, str]] = []
    for turn in range(max((len(items) for items, _ in results), default=0)):
        for items, why in results:
            if turn < len(items) and (items[turn].store, items[turn].group) not in seen and len(cards) < limit:
                seen.add((items[turn].store, items[turn].group))
                cards.append((items[turn], why))
    return cards


def _suggest(conn: Connection, where: Where, runs: list[tuple[cs.SearchQuery, str]], now: datetime
             ) -> tuple[int, int] | None:
    """Without price, colour, size, sale and stock limits: how many there would be, and the lowest price."""
    best: tuple[int, int] | None = None
    for query, _ in runs:
        loose = query.model_copy(update={"min_price": None, "max_price": None, "options": None, "on_sale": None,
                                         "in_stock": None, "limit": 100})
        result = search_sync(conn, where.festival, loose, now, facets=False)
        if result.total:
            cheapest = min(hit.price_min for hit in result.items)
            best = (result.total + (best[0] if best else 0), min(cheapest, best[1]) if best else cheapest)
    return best


def _won(amount: int, lang: str) -> str:
    return f"{amount:,}원" if lang == "ko" else f"₩{amount:,}"


def _summary(intent: ad.Intent, lang: str) -> list[str]:
    ko = lang == "ko"
    parts: list[str] = []
    if intent.price_min is not None and intent.price_max is not None:
        parts.append(f"{_won(intent.price_min, lang)}~{_won(intent.price_max, lang)}")
    elif intent.price_max is not None:
        parts.append(f"{_won(intent.price_max, lang)} 이하" if ko else f"up to {_won(intent.price_max, lang)}")
    elif intent.price_min is not None:
        parts.append(f"{_won(intent.price_min, lang)} 이상" if ko else f"from {_won(intent.price_min, lang)}")
    if intent.category:
        parts.append(intent.category)
    if intent.colour:
        parts.append(intent.colour)
    if intent.size:
        parts.append(f"{intent.size} 사이즈" if ko else f"size {intent.size}")
    if intent.on_sale:
        parts.append("할인 중" if ko else "on sale")
    if intent.in_stock:
        parts.append("재고 있음" if ko else "in stock")
    return parts


GIFT_NAMES = {"mom": ("엄마", "mom"), "dad": ("아빠", "dad"), "parents": ("부모님", "parents"),
              "partner": ("연인", "your partner"), "friend": ("친구", "a friend"), "child": ("아이", "a child"),
              "anyone": ("", "")}


def _lead(hit: cs.SearchHit, why: str, intent: ad.Intent, ko: bool) -> str:
    """Why this card, first: what kind of answer it is."""
    if why == "cheaper":
        return "더 저렴한 같은 종류" if ko else "a cheaper one of the same kind"
    if why == "complement":
        return f"함께 쓰기 좋은 {hit.category}" if ko else f"goes well with it ({hit.category})"
    if why == "gift":
        who_ko, who_en = GIFT_NAMES.get(intent.gift_for or "", ("", ""))
        return (f"{who_ko} 선물로 좋은 {hit.category}".strip() if ko
                else f"a good gift{' for ' + who_en if who_en else ''} ({hit.category})")
    if intent.words:
        words = " ".join(intent.words)
        return f"'{words}' 일치" if ko else f"matches '{words}'"
    return hit.category


def _reason(hit: cs.SearchHit, why: str, intent: ad.Intent, lang: str) -> str:
    ko = lang == "ko"
    price = (_won(hit.price_min, lang) if hit.price_min == hit.price_max
             else f"{_won(hit.price_min, lang)}~{_won(hit.price_max, lang)}")
    store = hit.store_name.ko if ko else hit.store_name.en
    return " · ".join([_lead(hit, why, intent, ko), price, *_summary(intent, lang), store])


def _answer(body: cs.AdvisorBody, intent: ad.Intent, cards: list[tuple[cs.SearchHit, str]], where: Where,
            suggestion: tuple[int, int] | None, *, ask_for_this: bool = False, cheaper_than: int | None = None,
            complement_of: str | None = None) -> cs.AdvisorAnswer:
    ko = body.lang == "ko"
    summary = ", ".join(_summary(intent, body.lang))
    if ask_for_this:
        answer = ("어떤 상품과 비교할까요? 상품을 먼저 보거나 장바구니에 담아 주세요." if ko
                  else "Which product do you mean? Look at one or put it in your cart first.")
    elif cards:
        answer = (f"조건에 맞는 상품 {len(cards)}개를 찾았어요" + (f" ({summary})." if summary else ".") if ko
                  else f"I found {len(cards)} product{'s' if len(cards) > 1 else ''}"
                       + (f" ({summary})." if summary else "."))
    else:
        answer = "조건에 맞는 상품이 없어요." if ko else "I found nothing that fits."
        if suggestion is not None:
            n, cheapest = suggestion
            answer += (f" 가격·색상·사이즈 조건을 빼면 {n}개 있어요 (가장 싼 것 {_won(cheapest, 'ko')})." if ko
                       else f" Without the price, colour and size limits there are {n} (from {_won(cheapest, 'en')}).")
        else:
            answer += (" 다른 말로 물어봐 주세요. 예: '신발 10만원 이하', '엄마 선물', '할인 중인 과자'." if ko
                       else " Try other words, e.g. 'shoes under 100,000 won', 'gift for mom', 'snacks on sale'.")
    understood = cs.Understood(
        words=intent.words, price_min=intent.price_min, price_max=intent.price_max, category=intent.category,
        colour=intent.colour, size=intent.size, on_sale=intent.on_sale, in_stock=intent.in_stock,
        gift_for=intent.gift_for, complement_of=complement_of, cheaper_than=cheaper_than)
    return cs.AdvisorAnswer(answer=answer, understood=understood, provider="builtin", cards=[
        cs.AdvisorCard(product=hit, store=hit.store, reason=_reason(hit, why, intent, body.lang))
        for hit, why in cards])


def satisfies(hit: cs.SearchHit, understood: cs.Understood) -> bool:
    """Whether a card keeps every constraint the advisor read (what its tests and the quality bench check)."""
    return ((understood.price_max is None or hit.price_max <= understood.price_max)
            and (understood.price_min is None or hit.price_min >= understood.price_min)
            and (understood.category is None or category_matches(hit.category, understood.category))
            and (not understood.in_stock or hit.in_stock) and (not understood.on_sale or hit.on_sale)
            and (understood.cheaper_than is None or hit.price_max < understood.cheaper_than))


async def advise(database: Database, body: cs.AdvisorBody, now: datetime) -> cs.AdvisorAnswer:
    answer, where = await database.read_sync(advise_sync, body, now)
    if not answer.cards and answer.understood.words:
        await database.unit(record_miss, where.festival_id, where.store_id, body.message, now)
    return answer
