"""Search text rules, with no I/O: how product text and queries are normalised, expanded and scored.

Matching is by substring on *compact* text (NFKC, case-folded, everything but letters and digits removed), so
spacing never matters: ``운동 화`` and ``운동화`` meet, ``T-shirt`` and ``tshirt`` too; Latin words must match from
the start of a word (``bag`` is no "cabbage"). A document keeps three fields, the names (ko and en), the category
path and the rest (brand, option values, the description's start); each field's parts are joined by ``|``, which
no compact query holds, so no match spans two parts.

A query's words must all occur (each word or one of its synonyms); the whole query without spaces is a second
way to match (``운동 화`` → ``운동화``). A word that occurs nowhere is corrected to the nearest vocabulary word
(edit distance 1, or 2 for words of 6+ characters) before the query gives up: typo tolerance.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

SEP = "|"
DESCRIPTION_CHARS = 200  # the description's start that is searched (the rest is marketing)
MAX_QUERY_CHARS = 100

# Starter synonym groups a festival has until its organizer sets its own (PUT …/search/synonyms).
DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("스니커즈", "운동화", "sneakers", "sneaker"),
    ("티셔츠", "반팔", "t-shirt", "tshirt"),
    ("후드", "후디", "hoodie", "hood"),
    ("신발", "shoes", "shoe"),
    ("의류", "옷", "clothing", "clothes"),
    ("가방", "bag", "bags", "백"),
    ("화장품", "cosmetics", "makeup", "뷰티"),
    ("과일", "fruit", "fruits"),
    ("채소", "야채", "vegetable", "vegetables"),
    ("음료", "drink", "drinks", "beverage"),
    ("과자", "snack", "snacks", "간식"),
    ("라면", "ramen", "ramyeon", "noodles"),
    ("문구", "stationery"),
    ("모자", "hat", "cap"),
    ("액세서리", "accessories", "accessory"),
    ("반찬", "sidedish", "banchan"),
    ("떡", "ricecake"),
    ("소스", "sauce", "양념"),
    ("식기", "tableware", "dishes"),
    ("주방", "kitchen"),
    ("생활용품", "household"),
    ("간편식", "readymeal", "meal"),
    ("아우터", "outerwear", "jacket", "재킷", "자켓"),
    ("상의", "top", "tops"),
    ("머그", "mug"),
    ("셔츠", "shirt"),
    ("니트", "knit", "sweater", "스웨터"),
)


def compact(text: str) -> str:
    """``text`` as search compares it: NFKC, case-folded, letters and digits only."""
    return "".join(tokens(text))


def tokens(text: str) -> list[str]:
    """The words of ``text``: NFKC, case-folded, split at everything that is no letter or digit."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch if ch.isalnum() else " " for ch in folded).split()


def words(query: str) -> list[str]:
    """The query's words, compact, empty ones dropped."""
    return [w for w in (compact(part) for part in query[:MAX_QUERY_CHARS].split()) if w]


@dataclass(frozen=True)
class Document:
    """A product group's searchable text: per field its parts (``|``-separated), each part's words space-separated."""

    name: str
    category: str
    other: str

    @property
    def body(self) -> str:
        """All fields without spaces: what the index matches substrings in (a superset of what ``score`` keeps)."""
        return SEP.join((self.name, self.category, self.other)).replace(" ", "")

    @property
    def name_flat(self) -> str:
        """The names without spaces (what a non-Latin alternative is looked for in)."""
        return self.name.replace(" ", "")

    @property
    def category_flat(self) -> str:
        return self.category.replace(" ", "")


STARTS_CHARS = 32  # the longest Latin alternative matched by ``word_starts`` (a longer one: ``contains``)


def word_starts(field: str) -> str:
    """Where a Latin alternative may match in ``field``: for each word that starts with a Latin letter or digit,
    the rest of its part from that word on, without spaces, cut to ``STARTS_CHARS``, each after a ``|``.

    For a Latin ``alternative`` of at most ``STARTS_CHARS`` characters, ``contains(field, alternative)`` is
    exactly ``"|" + alternative in word_starts(field)`` (what SQL asks of the stored form)."""
    out: list[str] = []
    for part in field.split(SEP):
        ws = part.split(" ")
        out.extend("|" + "".join(ws[i:])[:STARTS_CHARS] for i, w in enumerate(ws) if w and w[0].isascii())
    return "".join(out)


def _field(parts: Iterable[str]) -> str:
    return SEP.join(dict.fromkeys(t for t in (" ".join(tokens(p)) for p in parts) if t))


def document(*, names: Iterable[str | None], category: str, brand: str | None,
             option_values: Iterable[str], description: str | None) -> Document:
    """The searchable text of a product group."""
    other = [brand or "", *option_values, (description or "")[:DESCRIPTION_CHARS]]
    return Document(_field(n for n in names if n), _field(category.split(">")), _field(other))


def contains(field: str, alternative: str, flat: str | None = None) -> bool:
    """Whether a field holds the compact ``alternative``: anywhere, spaces ignored, for Korean; from the start of a
    word for Latin letters and digits, so ``bag`` finds "Tote bag" but not "cabbage" (and ``tshirt`` "T-shirt").
    ``flat``: the field without spaces, when the caller has it."""
    if alternative not in (field.replace(" ", "") if flat is None else flat):
        return False
    if not alternative.isascii():
        return True
    for part in field.split(SEP):
        ws = part.split(" ")
        if any("".join(ws[i:]).startswith(alternative) for i in range(len(ws))):
            return True
    return False


class Synonyms:
    """Equivalence groups of compact terms: a word that is one of a group's terms stands for all of them."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._of: dict[str, tuple[str, ...]] = {}
        for group in groups:
            terms = tuple(dict.fromkeys(t for t in (compact(g) for g in group) if t))
            for term in terms:
                self._of[term] = tuple(dict.fromkeys(self._of.get(term, ()) + terms))

    def expand(self, word: str) -> tuple[str, ...]:
        return self._of.get(word, (word,))


@dataclass(frozen=True)
class Plan:
    """What a query asks for: every group of ``required`` (one alternative each), or ``joined`` instead."""

    required: tuple[tuple[str, ...], ...]
    joined: tuple[str, ...] | None  # the words without spaces, when there are several

    @property
    def empty(self) -> bool:
        return not self.required


def plan(query: str, synonyms: Synonyms) -> Plan:
    ws = words(query)
    required = tuple(synonyms.expand(w) for w in ws)
    joined = synonyms.expand("".join(ws)) if len(ws) > 1 else None
    return Plan(required, joined)


def score(doc: Document, p: Plan) -> int:
    """0 when ``doc`` does not match; else higher for matches in the name, then the category, then the rest."""
    if p.empty:
        return 1
    best = _group_score(doc, p.required) if p.required else 0
    if p.joined is not None:
        best = max(best, _group_score(doc, (p.joined,)) * len(p.required))  # the joined form counts as every word
    if best and any(alt == part.replace(" ", "") for alts in ((p.joined,) if p.joined else p.required)
                    for alt in alts for part in doc.name.split(SEP)):
        best += 2  # the exact name
    return best


def _group_score(doc: Document, groups: Sequence[Sequence[str]]) -> int:
    fields = ((3, doc.name, doc.name.replace(" ", "")), (2, doc.category, doc.category.replace(" ", "")),
              (1, doc.other, doc.other.replace(" ", "")))
    total = 0
    for alternatives in groups:
        weight = next((w for w, text, flat in fields if any(contains(text, alt, flat) for alt in alternatives)), 0)
        if not weight:
            return 0
        total += weight
    return total


def vocabulary_words(doc: Document) -> set[str]:
    """The words a typo may be corrected to: each compact part of the name and category."""
    parts = (*doc.name.split(SEP), *doc.category.split(SEP))
    return {w for part in parts for w in (*part.split(" "), part.replace(" ", "")) if len(w) >= 2}


def correct(word: str, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary word nearest ``word`` (edit distance ≤ 1, ≤ 2 from 6 characters), or None.

    A vocabulary word may also *contain* a near match (``러닝와`` → ``러닝화`` inside ``프리미엄러닝화``): the word is
    compared with each same-length window of it."""
    limit = 2 if len(word) >= 6 else 1
    if len(word) < 2:
        return None
    best: tuple[int, str] | None = None
    letters = set(word)
    for candidate in vocabulary:
        if len(letters & set(candidate)) < len(letters) - limit:
            continue  # too few letters in common for a near match anywhere in it
        for window in _windows(candidate, len(word)):
            d = _distance(word, window, limit)
            if d <= limit and (best is None or (d, window) < best):
                best = (d, window)
    return best[1] if best else None


def _windows(text: str, n: int) -> Iterable[str]:
    if len(text) <= n + 1:
        yield text
        return
    for i in range(len(text) - n + 1):
        yield text[i:i + n]


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# --- Facets ------------------------------------------------------------------------------------------------

PRICE_EDGES = (10_000, 30_000, 50_000, 100_000, 200_000)  # KRW: the buckets' lower edges after the first


def price_bucket(amount: int) -> str:
    """The facet bucket of a festival price, as ``"lo-hi"`` (``"200000-"`` for the last)."""
    lo = 0
    for edge in PRICE_EDGES:
        if amount < edge:
            return f"{lo}-{edge}"
        lo = edge
    return f"{lo}-"


# Option names that mean the same in the catalogs we import (Korean exports, Shopify, Google feeds).
OPTION_NAMES = {alias: name for name, aliases in {
    "색상": ("색상", "색", "색깔", "컬러", "color", "colour"), "사이즈": ("사이즈", "크기", "치수", "size"),
}.items() for alias in aliases}


def option_name(name: str) -> str:
    key = compact(name)
    return OPTION_NAMES.get(key, key)


def option_matches(options: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Whether a variant's options hold every wanted name: value (compact; ``color`` is ``색상``, ``size`` is
    ``사이즈``)."""
    have = {option_name(k): compact(v) for k, v in options.items()}
    return all(have.get(option_name(k)) == compact(v) for k, v in wanted.items())


def options_of(data: object) -> dict[str, str]:
    """A variant's options from its catalog data (``data_json`` parsed), names and values as text."""
    options = data.get("options") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {}


def option_index(options: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """A variant's options as the index keeps them: (name, value, name key, value key), one per option. Every
    option of one name key carries the value key :func:`option_matches` compares (the last one's, as a dict keeps
    it), so "has an option of this name key and value key" is exactly ``option_matches`` for one wanted pair."""
    have = {option_name(k): compact(v) for k, v in options.items()}
    return [(k, v, option_name(k), have[option_name(k)]) for k, v in options.items()]


@lru_cache(maxsize=4096)  # a catalog has few category paths; each search asks about every product's
def category_matches(category: str, wanted: str) -> bool:
    """``wanted`` is a prefix of the category path, or one of its parts (``상의`` matches ``의류 > 상의``)."""
    have = [compact(c) for c in category.split(">")]
    want = [compact(c) for c in wanted.split(">") if compact(c)]
    return bool(want) and (have[:len(want)] == want or (len(want) == 1 and want[0] in have))
