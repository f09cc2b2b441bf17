"""Festival-wide search, the shopping advisor, synonyms and zero-result queries (docs/API.md, Search)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.contracts.foundation import CONTROL_CHARACTERS, JSON_NUMBER, ONE_LINE, InputModel, Names, Omittable

QueryText = Annotated[str, Field(max_length=100), ONE_LINE]
Term = Annotated[str, Field(min_length=1, max_length=40), ONE_LINE]
# One option name or value: 1–40 characters, no separator or control character, no space at either end (the
# query is stripped before it is matched, and so are its parts).
_OPTION_PART = (f"[^:,\\s{CONTROL_CHARACTERS}](?:[^:,{CONTROL_CHARACTERS}]{{0,38}}"
                f"[^:,\\s{CONTROL_CHARACTERS}])?")
OPTIONS_PATTERN = f"^{_OPTION_PART}:{_OPTION_PART}(?:,{_OPTION_PART}:{_OPTION_PART}){{0,7}}$"


class SearchQuery(InputModel):
    q: QueryText = Field(default="", description="Words to find (Korean or English; spacing and case do not matter)")
    store: str | None = Field(default=None, min_length=2, max_length=64, pattern=r"^[a-z0-9-]+$",
                              description="Only this store (its slug)")
    category: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE] | None = Field(
        default=None, description="A category path prefix (`의류 > 상의`) or one of its parts (`상의`)")
    min_price: int | None = Field(default=None, ge=0, le=10**12, description="Festival price at least")
    max_price: int | None = Field(default=None, ge=0, le=10**12, description="Festival price at most")
    on_sale: bool | None = Field(default=None, description="Only (true) or never (false) discounted products")
    in_stock: bool | None = Field(default=None, description="Only products with stock (true)")
    options: str | None = Field(default=None, pattern=OPTIONS_PATTERN,
                                description="Variant options that must all hold: `색상:블랙,사이즈:M`")
    limit: int = Field(default=20, ge=1, le=100)
    after: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,5}$",
                              description="The `next` of the previous page (opaque)")


class SearchHit(BaseModel):
    """One product (its variants collapsed) that matched: the price range of its matching variants."""

    store: str
    store_name: Names
    sku: str = Field(description="The first matching variant")
    group: str
    name: Names
    category: str
    price_min: int = Field(description="Lowest festival price (the one pricing rule) of the matching variants")
    price_max: int
    regular_min: int = Field(description="Lowest regular price of the matching variants")
    currency: str
    on_sale: bool
    festival_percent: int
    in_stock: bool
    variants: int = Field(description="Matching variants on the shelf")
    options: dict[str, list[str]] = Field(description="Option values of the matching variants")
    image: str | None
    matched: Literal["name", "category", "other", "all"] = Field(
        description="The best field a word matched in (`all`: no words)")


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Counts of products (groups) over the words, the store and category filters, ``in_stock=true`` and
    ``min_price`` (applied while reading), before the other filters (price cap, sale, options): what a shopper
    can narrow by next."""

    store: list[FacetCount]
    category: list[FacetCount]
    price: list[FacetCount] = Field(description="Festival price buckets `lo-hi` (KRW), by each product's lowest")
    on_sale: list[FacetCount]
    in_stock: list[FacetCount]
    options: dict[str, list[FacetCount]]


class SearchResult(BaseModel):
    items: list[SearchHit]
    total: int = Field(description="Products matching the words and filters")
    facets: Facets
    corrected: str | None = Field(description="The query as corrected when the words as typed found nothing")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last")


class SynonymsBody(InputModel):
    groups: list[Annotated[list[Term], Field(min_length=2, max_length=20)]] = Field(
        max_length=500, description="Groups of words that mean the same (스니커즈 ↔ 운동화)")


class SynonymsOut(BaseModel):
    groups: list[list[str]]
    default: bool = Field(description="True while the organizer has set none: the starter groups apply")


class MissesQuery(InputModel):
    days: int = Field(default=30, ge=1, le=365)
    limit: int = Field(default=20, ge=1, le=200)


class MissCount(BaseModel):
    query: str
    count: int


class MissesOut(BaseModel):
    items: list[MissCount] = Field(description="Queries that found nothing, most frequent first (counts only)")


# --- the advisor ----------------------------------------------------------------------------------------------------


class CartItem(InputModel):
    store: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9-]+$")
    sku: Annotated[str, Field(min_length=1, max_length=64), ONE_LINE]


class AdvisorBody(InputModel):
    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["store"]}, {"required": ["festival"]}]})

    message: Annotated[str, Field(min_length=1, max_length=300), ONE_LINE]
    store: Omittable[Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z0-9-]+$")]] = Field(
        default=None, description="The store the shopper is in (its slug)")
    festival: Omittable[Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z0-9-]+$")]] = Field(
        default=None, description="The festival, when no store is given")
    cart: list[CartItem] = Field(default_factory=list, max_length=50,
                                 description="Products in view or in the cart; the first is `this`")
    lang: Literal["ko", "en"] = "ko"
    limit: Annotated[int, Field(ge=1, le=20), JSON_NUMBER] = 5


class Understood(BaseModel):
    """What the advisor read in the message (null: not said)."""

    words: list[str]
    price_min: int | None
    price_max: int | None
    category: str | None
    colour: str | None
    size: str | None
    on_sale: bool | None
    in_stock: bool | None
    gift_for: str | None
    complement_of: str | None = Field(description="The category of `this` whose companions were asked for")
    cheaper_than: int | None = Field(description="The festival price of `this` when something cheaper was asked for")


class AdvisorCard(BaseModel):
    product: SearchHit
    store: str
    reason: str


class AdvisorAnswer(BaseModel):
    answer: str
    cards: list[AdvisorCard]
    understood: Understood
    provider: Literal["builtin", "llm"]
