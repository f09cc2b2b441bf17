"""The built-in shopping advisor's reading of a message, with no I/O: deterministic, Korean and English.

``understand(message)`` finds price limits and ranges (``10만원 이하``, ``5만 원 미만``, ``under 50,000 won``,
``3~5만원``, ``between 20000 and 40000``), a category (and its synonyms), a colour and a size, "on sale" /
"in stock", a gift and for whom, "something that goes with this" and "cheaper than this"; what is left are
the product words for search. The tables below are the advisor's vocabulary: one place each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from server.domain.search_text import compact

# Category words → the catalog category part they mean (a search ``category`` filter: a path part).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "의류": ("의류", "옷", "clothes", "clothing", "apparel"),
    "상의": ("상의", "top", "tops"),
    "아우터": ("아우터", "outer", "outerwear", "코트", "coat", "coats", "jacket", "jackets", "재킷", "자켓"),
    "신발": ("신발", "shoes", "shoe", "footwear"),
    "화장품": ("화장품", "cosmetics", "makeup", "make-up", "뷰티", "beauty"),
    "가방": ("가방", "bag", "bags"),
    "주방": ("주방", "kitchen", "주방용품"),
    "식기": ("식기", "tableware", "dishes"),
    "과일": ("과일", "fruit", "fruits"),
    "채소": ("채소", "야채", "vegetable", "vegetables", "veggies"),
    "반찬": ("반찬", "banchan", "side dish", "side dishes", "sidedish"),
    "떡": ("떡", "rice cake", "rice cakes", "ricecake"),
    "소스": ("소스", "sauce", "sauces", "양념", "seasoning"),
    "액세서리": ("액세서리", "악세서리", "accessory", "accessories"),
    "모자": ("모자", "hat", "hats", "cap", "caps"),
    "문구": ("문구", "문구류", "stationery"),
    "음료": ("음료", "음료수", "drink", "drinks", "beverage", "beverages"),
    "라면": ("라면", "ramen", "ramyeon", "noodles", "instant noodles"),
    "과자": ("과자", "snack", "snacks", "간식"),
    "간편식": ("간편식", "ready meal", "ready meals", "readymeal"),
    "생활용품": ("생활용품", "household", "daily goods", "toiletries"),
    "전통": ("전통", "traditional"),
    "스트리트": ("스트리트", "streetwear", "street wear"),
}

# What goes with what: a product's category part → the categories to suggest with it.
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "셔츠": ("바지", "넥타이", "아우터", "신발"),
    "상의": ("아우터", "신발", "모자"),
    "아우터": ("상의", "신발", "모자"),
    "스트리트": ("신발", "모자", "액세서리"),
    "신발": ("의류", "모자", "가방"),
    "가방": ("액세서리", "신발", "화장품"),
    "화장품": ("가방", "화장품"),
    "모자": ("의류", "신발"),
    "액세서리": ("의류", "신발"),
    "커피": ("머그", "과자"),
    "식기": ("떡", "음료"),
    "주방": ("식기", "소스"),
    "라면": ("반찬", "음료", "간편식"),
    "과자": ("음료",),
    "음료": ("과자", "간편식"),
    "간편식": ("음료", "라면"),
    "반찬": ("채소", "소스", "라면"),
    "채소": ("소스", "반찬"),
    "소스": ("채소", "반찬"),
    "과일": ("떡", "음료"),
    "떡": ("음료", "과일"),
    "문구": ("문구", "가방"),
    "생활용품": ("생활용품",),
}

# Who a gift is for → the categories that make good gifts for them (most fitting first).
GIFTS: dict[str, tuple[str, ...]] = {
    "mom": ("화장품", "가방", "식기", "떡"),
    "dad": ("신발", "의류", "소스", "전통"),
    "parents": ("전통", "과일", "식기", "소스"),
    "partner": ("화장품", "가방", "액세서리", "의류"),
    "friend": ("문구", "액세서리", "화장품", "과자"),
    "child": ("과자", "문구", "음료", "모자"),
    "anyone": ("화장품", "가방", "전통", "문구", "식기"),
}
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "mom": ("엄마", "어머니", "어머님", "mom", "mum", "mother", "mommy"),
    "dad": ("아빠", "아버지", "아버님", "dad", "father", "daddy"),
    "parents": ("부모님", "parents", "어버이"),
    "partner": ("여자친구", "남자친구", "여친", "남친", "아내", "남편", "girlfriend", "boyfriend", "wife", "husband",
                "partner"),
    "friend": ("친구", "friend", "friends", "동료", "colleague", "coworker"),
    "child": ("아이", "아기", "조카", "아들", "딸", "kid", "kids", "child", "children", "son", "daughter", "baby"),
}

# Colour words → the option value the catalogs use.
COLOURS: dict[str, tuple[str, ...]] = {
    "블랙": ("블랙", "검정", "검정색", "검은", "검은색", "까만", "black"),
    "화이트": ("화이트", "흰", "흰색", "하얀", "하얀색", "white"),
    "네이비": ("네이비", "남색", "navy"),
    "베이지": ("베이지", "beige"),
    "버건디": ("버건디", "와인색", "burgundy", "wine"),
    "스카이블루": ("스카이블루", "하늘색", "skyblue", "sky blue", "light blue"),
    "카키": ("카키", "khaki"),
    "브라운": ("브라운", "갈색", "brown"),
    "카멜": ("카멜", "camel"),
    "아이보리": ("아이보리", "ivory"),
    "그레이": ("그레이", "회색", "gray", "grey"),
    "민트": ("민트", "민트색", "mint"),
    "레드": ("레드", "빨간", "빨간색", "빨강", "red"),
    "블루": ("블루", "파란", "파란색", "파랑", "blue"),
    "핑크": ("핑크", "분홍", "분홍색", "pink"),
    "그린": ("그린", "초록", "초록색", "green"),
}
SIZES: dict[str, tuple[str, ...]] = {
    "XS": ("xs", "엑스스몰"), "S": ("s", "스몰", "small"), "M": ("m", "미디엄", "medium"),
    "L": ("l", "라지", "large"), "XL": ("xl", "엑스라지", "xlarge", "extra large"), "XXL": ("xxl", "2xl"),
}
SIZE_WORDS = ("사이즈", "size", "치수")

ON_SALE = ("할인", "세일", "특가", "on sale", "sale", "discount", "discounted", "deal", "deals")
IN_STOCK = ("재고 있는", "재고있는", "재고", "바로 살 수 있는", "in stock", "available now", "available")
GIFT = ("선물", "gift", "gifts", "present", "presents")
COMPLEMENT = ("어울리는", "어울릴", "같이 살", "같이 쓸", "같이 먹을", "같이 마실", "함께 쓸", "함께 먹을",
              "함께", "곁들일", "goes with", "go with", "goes well with", "to go with", "match", "matches",
              "pair with", "pairs with")
CHEAPER = ("보다 싼", "보다 저렴한", "cheaper than", "cheaper one", "cheaper ones", "더 싼", "더 저렴한",
           "싼 거", "저렴한 거", "cheaper", "less expensive", "more affordable")
THIS = ("이거랑", "이거하고", "이거와", "이것과", "이거에", "이거", "이것", "이 상품", "이 제품", "this", "it")

# Words that carry no product meaning (asked, polite, filler): dropped after the rest is read.
STOPWORDS = frozenset((
    "하는", "파는", "되는", "보다", "than", "goods", "products", "product", "sell", "buy", "get",
    "있어요", "있나요", "있어", "있을까요", "있습니까", "있는", "있는지", "없어요", "없나요", "찾아줘", "찾아",
    "찾아주세요", "찾고", "찾는데", "추천", "추천해줘", "추천해", "추천해주세요", "보여줘", "보여주세요", "주세요",
    "줘", "좀", "뭐", "뭐가", "어떤", "어디", "무슨", "살까", "살래", "사고", "싶어", "싶어요", "싶은데", "원해요",
    "필요해", "필요해요", "알려줘", "있음", "거", "것", "제일", "가장", "좋은", "괜찮은", "인기", "인기있는",
    "요즘", "겨울", "여름", "봄", "가을", "하나", "한", "개", "상품", "제품", "물건", "용", "위한", "위해", "으로",
    "로", "에서", "에", "the", "a", "an", "some", "any", "i", "im", "i'm", "want", "wanna", "need", "looking",
    "for", "find", "show", "me", "please", "can", "you", "do", "have", "something", "anything", "what", "which",
    "good", "nice", "best", "with", "under", "below", "of", "to", "in", "on", "is", "are", "it's", "its", "my",
    "our", "cheap", "new", "one", "ones", "item", "items", "stuff", "thing", "things", "that",
    "여기", "여기서", "여기에", "이곳", "이곳에", "here", "there",  # where the shopper stands: the store asked in
))
PARTICLES = ("으로", "에서", "이랑", "을", "를", "은", "는", "랑", "도", "요")

_NUM = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
_UNIT = r"(?:\s*(만|천|k|thousand))?"
_WON = r"(?:\s*(?:원|won|krw))?"
_AMOUNT = rf"(?:₩\s*)?({_NUM}){_UNIT}(?:\s*({_NUM})\s*천)?{_WON}"


@dataclass
class Intent:
    """What the advisor read: constraints (None: not said) and the words left for search."""

    words: list[str] = field(default_factory=list)
    price_min: int | None = None
    price_max: int | None = None
    category: str | None = None
    colour: str | None = None
    size: str | None = None
    on_sale: bool | None = None
    in_stock: bool | None = None
    gift_for: str | None = None
    complement: bool = False
    cheaper: bool = False


def _amount(number: str, unit: str | None, extra_thousands: str | None = None) -> int:
    value = float(number.replace(",", ""))
    scale = {"만": 10_000, "천": 1_000, "k": 1_000, "thousand": 1_000}.get(unit or "", 1)
    return round(value * scale) + (int(extra_thousands.replace(",", "")) * 1_000 if extra_thousands else 0)


_RANGE = [
    # 3~5만원, 3만~5만원, 20000-40000원, 2만원에서 4만원 사이, 2만원부터 4만원까지
    re.compile(rf"({_NUM}){_UNIT}{_WON}\s*(?:~|-|–|에서|부터)\s*({_NUM}){_UNIT}{_WON}(?:\s*(?:사이|까지|정도))?"),
    # between 20000 and 40000 (won); from 20,000 to 40,000
    re.compile(rf"(?:between|from)\s+(?:₩\s*)?({_NUM}){_UNIT}{_WON}\s+(?:and|to)\s+(?:₩\s*)?({_NUM}){_UNIT}{_WON}"),
]
_UPPER_AFTER = re.compile(rf"{_AMOUNT}\s*(이하|미만|까지|안쪽|이내|내외로|아래|밑|or less|or under|and under|max)")
_LOWER_AFTER = re.compile(rf"{_AMOUNT}\s*(이상|초과|넘는|넘게|보다 비싼|or more|and up|and above|plus|\+)")
_UPPER_BEFORE = re.compile(rf"(under|below|less than|cheaper than|up to|at most|no more than|max|maximum|within|"
                           rf"최대)\s+{_AMOUNT}")
_LOWER_BEFORE = re.compile(rf"(over|above|more than|at least|minimum|min|최소)\s+{_AMOUNT}")
_AROUND = re.compile(rf"{_AMOUNT}\s*(짜리|정도|쯤|대|안팎|선)|(?:around|about|roughly)\s+{_AMOUNT}")
_BARE = re.compile(rf"(?:₩\s*)?({_NUM})\s*(만|천)?\s*(원|won|krw)|(?:₩\s*)({_NUM}){_UNIT}")
STRICT_UPPER = ("미만", "under", "below", "less than", "cheaper than")
STRICT_LOWER = ("초과", "넘는", "넘게", "보다 비싼", "over", "above", "more than")


def _prices(text: str, intent: Intent) -> str:
    """Read price limits into ``intent``; returns the text with them cut out."""
    for pattern in _RANGE:
        m = pattern.search(text)
        if m:
            lo_unit, hi_unit = m.group(2), m.group(4)
            lo = _amount(m.group(1), lo_unit or hi_unit)  # 3~5만원: the unit is said once, at the end
            hi = _amount(m.group(3), hi_unit or lo_unit)
            intent.price_min, intent.price_max = min(lo, hi), max(lo, hi)
            return text[:m.start()] + " " + text[m.end():]
    m = _UPPER_AFTER.search(text)
    if m:
        n = _amount(m.group(1), m.group(2), m.group(3))
        intent.price_max = n - 1 if m.group(4) in STRICT_UPPER else n
        text = text[:m.start()] + " " + text[m.end():]
    m = _LOWER_AFTER.search(text)
    if m:
        n = _amount(m.group(1), m.group(2), m.group(3))
        intent.price_min = n + 1 if m.group(4) in STRICT_LOWER else n
        text = text[:m.start()] + " " + text[m.end():]
    m = _UPPER_BEFORE.search(text)
    if m and intent.price_max is None:
        n = _amount(m.group(2), m.group(3), m.group(4))
        intent.price_max = n - 1 if m.group(1) in STRICT_UPPER else n
        text = text[:m.start()] + " " + text[m.end():]
    m = _LOWER_BEFORE.search(text)
    if m and intent.price_min is None:
        n = _amount(m.group(2), m.group(3), m.group(4))
        intent.price_min = n + 1 if m.group(1) in STRICT_LOWER else n
        text = text[:m.start()] + " " + text[m.end():]
    if intent.price_min is None and intent.price_max is None:
        m = _AROUND.search(text)
        if m:
            n = (_amount(m.group(1), m.group(2), m.group(3)) if m.group(1)
                 else _amount(m.group(5), m.group(6), m.group(7)))
            if m.group(4) == "대":  # 2만원대: 20,000–29,999 (the band of the unit said)
                band = {"만": 10_000, "천": 1_000}.get(m.group(2) or "", 10 ** max(0, len(str(n)) - 1))
                intent.price_min, intent.price_max = n, n + band - 1
            else:
                intent.price_min, intent.price_max = n * 8 // 10, n * 12 // 10  # "about": ±20 %
            return text[:m.start()] + " " + text[m.end():]
        m = _BARE.search(text)
        if m:  # a bare amount is a budget
            intent.price_max = _amount(m.group(1), m.group(2)) if m.group(1) else _amount(m.group(4), m.group(5))
            text = text[:m.start()] + " " + text[m.end():]
    return text


def _phrase(text: str, phrases: tuple[str, ...]) -> tuple[bool, str]:
    """Whether ``text`` holds one of ``phrases`` (whole words for Latin ones); the text without it."""
    for phrase in sorted(phrases, key=len, reverse=True):
        pattern = rf"(?<![a-z]){re.escape(phrase)}(?![a-z])" if phrase.isascii() else re.escape(phrase)
        m = re.search(pattern, text)
        if m:
            return True, text[:m.start()] + " " + text[m.end():]
    return False, text


def _lookup(text: str, table: dict[str, tuple[str, ...]]) -> tuple[str | None, str]:
    best: tuple[int, str, str] | None = None
    for key, phrases in table.items():
        for phrase in phrases:
            pattern = rf"(?<![a-z]){re.escape(phrase)}(?![a-z])" if phrase.isascii() else re.escape(phrase)
            m = re.search(pattern, text)
            if m and (best is None or len(phrase) > best[0]):
                best = (len(phrase), key, text[:m.start()] + " " + text[m.end():])
    return (best[1], best[2]) if best else (None, text)


def _size(text: str) -> tuple[str | None, str]:
    for key, phrases in SIZES.items():
        for phrase in phrases:
            if phrase.isascii() and len(phrase) <= 3:
                # a letter size only next to a size word: "M 사이즈", "size m", "사이즈 L"
                words = "|".join(SIZE_WORDS)
                m = re.search(rf"(?<![a-z0-9])(?:(?:{words})\s*{phrase}|{phrase}\s*(?:{words}))(?![a-z0-9])", text)
            else:
                m = re.search(re.escape(phrase), text)
            if m:
                return key, text[:m.start()] + " " + text[m.end():]
    return None, text


def _strip_particle(word: str) -> str:
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def understand(message: str) -> Intent:
    """Read a shopper's message (Korean or English) into constraints and search words."""
    intent = Intent()
    text = " " + " ".join(message.casefold().split()) + " "
    text = _prices(text, intent)
    intent.cheaper, text = _phrase(text, CHEAPER)
    intent.complement, text = _phrase(text, COMPLEMENT)
    gift, text = _phrase(text, GIFT)
    if gift:  # who it is for only then: "아이" is also the start of "아이보리"
        recipient, text = _lookup(text, RECIPIENTS)
        intent.gift_for = recipient or "anyone"
    sale, text = _phrase(text, ON_SALE)
    intent.on_sale = True if sale else None
    stock, text = _phrase(text, IN_STOCK)
    intent.in_stock = True if stock else None
    intent.colour, text = _lookup(text, COLOURS)
    intent.size, text = _size(text)
    intent.category, text = _lookup(text, CATEGORIES)
    _, text = _phrase(text, THIS)
    _, text = _phrase(text, ("사이즈", "size", "색", "색상", "color", "colour", "for", "위한", "줄", "드릴"))
    words = []
    for raw in re.split(r"[\s,.!?~/]+", text):
        word = _strip_particle(raw.strip("'\"()"))
        if word and word not in STOPWORDS and compact(word) and not compact(word).isdigit():
            words.append(word)
    intent.words = words
    return intent


def complements(category: str) -> tuple[str, ...]:
    """Categories that go with a product of ``category`` (its deepest known part first)."""
    for part in reversed([p.strip() for p in category.split(">")]):
        if part in COMPLEMENTS:
            return COMPLEMENTS[part]
    return ()


def gift_categories(recipient: str) -> tuple[str, ...]:
    return GIFTS.get(recipient, GIFTS["anyone"])
