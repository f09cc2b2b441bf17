"""Which built-in kit model (``assets/kit/``) draws a product that has no model or image of its own.

A product is matched by its category path (most specific part first), then refined by its name, then by its
placeholder shape, else it is a plain box. Categories come as Google product taxonomy ids or names
("Apparel & Accessories > Shoes", 187), Korean words (신발, 김치, 립스틱) or English words. Two kinds of rules:

* **model rules** name one model ("운동화" → sneaker). The first rule in ``MODEL_RULES`` that matches wins.
* **family rules** name a broad department ("의류", "food") with a default model. The product's name may then
  pick a more fitting model from the families that department accepts ("의류" + "패딩 코트" → coat), so a
  category alone never turns a bag of apple crisps in "식품" into a fruit crate unless the name says fruit.

Korean words of two syllables or more match anywhere (Korean compounds: "유기농사과주스"); one-syllable words
("쌀", "배", "공") only as a whole token. English words match whole words, plurals included. Pure and cached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

Vec3 = tuple[float, float, float]

FALLBACK = "box"

FAMILIES: dict[str, tuple[str, ...]] = {
    "drinks": ("bottle", "wine_bottle", "can", "milk_carton"),
    "food": ("jar", "kimchi_jar", "snack_bag", "rice_bag", "noodle_cup", "gift_box", "bread", "box"),
    "produce": ("fruit_crate", "vegetable_bundle", "cabbage"),
    "apparel": ("folded_shirt", "folded_pants", "hanger_garment", "coat", "hat"),
    "shoes": ("sneaker", "boot", "shoe"),
    "bags": ("handbag", "backpack", "tote_bag"),
    "accessories": ("watch", "glasses", "ring_box"),
    "electronics": ("phone", "laptop", "headphones"),
    "media": ("book",),
    "toys": ("teddy_bear",),
    "sports": ("ball",),
    "beauty": ("cosmetic_tube", "lipstick", "perfume", "pump_bottle", "cream_jar"),
    "kitchen": ("pot", "pan", "mug", "bowl"),
    "home": ("plant", "detergent"),
}
MODEL_FAMILY: dict[str, str] = {model: family for family, models in FAMILIES.items() for model in models}
MODELS: tuple[str, ...] = tuple(MODEL_FAMILY)

# Which families a product's name may move it to, given the family its category points at.
ACCEPTS: dict[str, tuple[str, ...]] = {
    "drinks": ("drinks",),
    "food": ("food", "drinks", "produce"),
    "produce": ("produce", "food"),
    "apparel": ("apparel", "shoes", "bags", "accessories"),
    "shoes": ("shoes",),
    "bags": ("bags", "accessories"),
    "accessories": ("accessories", "bags"),
    "electronics": ("electronics",),
    "media": ("media",),
    "toys": ("toys", "sports"),
    "sports": ("sports", "apparel", "shoes", "bags"),
    "beauty": ("beauty",),
    "kitchen": ("kitchen",),
    "home": ("home", "kitchen", "beauty"),
}

# (model, English words, Korean words), most specific first: "배추김치" is kimchi before it is cabbage.
MODEL_RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("kimchi_jar", ("kimchi", "crock", "doenjang", "gochujang", "fermentation crock"),
     ("김치", "깍두기", "장류", "된장", "고추장", "젓갈", "장아찌", "옹기", "항아리")),
    ("milk_carton", ("milk", "soy milk", "carton"), ("우유", "두유", "멸균유", "밀크")),
    ("can", ("can", "canned", "soda", "beer", "cola", "tin"),
     ("캔", "캔음료", "캔커피", "캔맥주", "맥주", "콜라", "사이다", "탄산음료", "통조림")),
    ("wine_bottle", ("wine", "liquor", "spirit", "whisky", "whiskey", "vodka", "soju", "sake", "champagne",
                     "alcohol", "alcoholic beverage"),
     ("와인", "소주", "청주", "약주", "양주", "위스키", "주류", "술", "전통주", "과실주", "증류주")),
    ("bottle", ("bottle", "water", "juice", "sports drink", "soft drink"),
     ("생수", "음료", "음료수", "주스", "쥬스", "물", "탄산수", "이온음료", "식혜", "막걸리", "음료병", "페트")),
    ("noodle_cup", ("noodle", "ramen", "ramyeon", "pasta", "instant noodle", "cup noodle"),
     ("라면", "컵라면", "면류", "국수", "우동", "냉면", "쌀국수", "파스타", "누들")),
    ("snack_bag", ("snack", "chips", "crisps", "candy", "chocolate", "jerky", "popcorn", "pretzel", "cracker",
                   "snack food"),
     ("과자", "스낵", "감자칩", "칩", "사탕", "젤리", "초콜릿", "초콜렛", "쿠키", "강정", "육포", "팝콘", "견과",
      "건어물", "간식")),
    ("jar", ("jam", "jelly", "sauce", "honey", "condiment", "spread", "pickle", "jar", "preserve", "mayonnaise",
             "condiments & sauces", "jams & jellies"),
     ("잼", "소스", "꿀", "조미료", "양념", "드레싱", "피클", "병조림", "스프레드", "청", "조청", "참기름")),
    ("gift_box", ("gift", "gift set", "hamper", "present", "gift basket"),
     ("선물세트", "선물", "한과", "약과", "유과", "떡", "답례품", "기프트", "명절")),
    ("bread", ("bread", "bakery", "baguette", "loaf", "bun", "pastry", "cake", "bagel"),
     ("빵", "베이커리", "제과", "식빵", "바게트", "케이크", "베이글", "카스텔라")),
    ("rice_bag", ("rice", "grain", "flour", "grains", "cereal", "oats"),
     ("쌀", "잡곡", "현미", "찹쌀", "곡물", "곡류", "밀가루", "양곡", "백미", "오곡", "미곡")),
    ("cabbage", ("cabbage", "napa", "lettuce"), ("배추", "양배추", "알배기", "상추")),
    ("vegetable_bundle", ("vegetable", "veggie", "leek", "scallion", "green onion", "spinach", "herb", "greens"),
     ("채소", "야채", "대파", "파", "쪽파", "부추", "시금치", "나물", "미나리", "냉이", "쑥갓")),
    ("fruit_crate", ("fruit", "apple", "pear", "tangerine", "mandarin", "grape", "strawberry", "peach", "melon",
                     "banana", "mango", "kiwi", "cherry", "persimmon", "citrus"),
     ("과일", "사과", "배", "귤", "감귤", "한라봉", "천혜향", "포도", "샤인머스캣", "딸기", "복숭아", "수박", "참외",
      "바나나", "감", "곶감", "청과", "망고", "키위", "체리", "자두", "레몬", "매실")),
    ("lipstick", ("lipstick", "lip", "tint", "lip gloss", "lip balm", "lip makeup"),
     ("립스틱", "립", "틴트", "립밤", "립글로스", "립글로즈")),
    ("perfume", ("perfume", "fragrance", "cologne", "eau de toilette", "eau de parfum", "diffuser"),
     ("향수", "퍼퓸", "코롱", "디퓨저", "오드뚜왈렛", "프래그런스")),
    ("pump_bottle", ("shampoo", "conditioner", "body wash", "lotion", "hand wash", "hand soap", "moisturizer",
                     "serum", "essence"),
     ("샴푸", "린스", "컨디셔너", "바디워시", "로션", "핸드워시", "바디로션", "트리트먼트", "에센스", "세럼",
      "앰플", "토너", "스킨")),
    ("cosmetic_tube", ("sunscreen", "sunblock", "cleanser", "toothpaste", "hand cream", "tube", "cosmetic",
                       "makeup", "foundation"),
     ("선크림", "선블록", "자외선차단", "클렌저", "클렌징", "폼클렌징", "치약", "핸드크림", "튜브", "비비크림",
      "파운데이션")),
    ("cream_jar", ("cream", "skincare", "skin care", "balm", "face cream"),
     ("크림", "수분크림", "스킨케어", "기초화장품")),
    ("boot", ("boot", "wellington", "rain boot"), ("부츠", "장화", "워커", "첼시")),
    ("shoe", ("loafer", "heel", "high heel", "dress shoe", "oxford shoe", "sandal", "slipper", "flat shoe"),
     ("구두", "로퍼", "힐", "하이힐", "펌프스", "단화", "플랫슈즈", "샌들", "슬리퍼", "쪼리")),
    ("sneaker", ("sneaker", "trainer", "running shoe", "athletic shoe", "shoe", "shoes"),
     ("운동화", "스니커즈", "스니커", "러닝화", "조깅화", "워킹화", "캔버스화")),
    ("backpack", ("backpack", "rucksack", "knapsack", "school bag"), ("백팩", "배낭", "책가방", "륙색")),
    ("tote_bag", ("tote", "eco bag", "shopping bag", "canvas bag", "shopping tote"),
     ("에코백", "토트", "장바구니", "쇼핑백", "캔버스백")),
    ("handbag", ("handbag", "purse", "clutch", "wallet", "shoulder bag", "crossbody", "bag"),
     ("핸드백", "숄더백", "클러치", "지갑", "크로스백", "가방", "파우치", "토트백")),
    ("coat", ("coat", "jacket", "outerwear", "parka", "blazer", "anorak", "trench", "puffer", "coats & jackets"),
     ("코트", "자켓", "재킷", "점퍼", "패딩", "아우터", "외투", "야상", "트렌치", "바람막이", "블레이저")),
    ("folded_pants", ("pants", "trousers", "jeans", "slacks", "shorts", "leggings", "bottoms", "denim"),
     ("바지", "팬츠", "청바지", "슬랙스", "하의", "반바지", "레깅스", "데님", "조거")),
    ("hanger_garment", ("dress", "skirt", "gown", "hanbok", "kimono", "dresses", "skirts"),
     ("원피스", "드레스", "치마", "스커트", "한복", "생활한복")),
    ("hat", ("hat", "cap", "beanie", "headwear", "bucket hat"), ("모자", "캡", "비니", "버킷햇", "볼캡", "햇")),
    ("folded_shirt", ("shirt", "t-shirt", "tee", "top", "knit", "knitwear", "sweater", "hoodie", "blouse", "polo",
                      "sweatshirt", "cardigan", "shirts & tops"),
     ("셔츠", "티셔츠", "상의", "니트", "스웨터", "맨투맨", "후드", "블라우스", "티", "반팔", "긴팔", "가디건",
      "카디건", "폴로")),
    ("watch", ("watch", "watches", "wristwatch", "smartwatch"), ("시계", "손목시계", "워치", "스마트워치")),
    ("glasses", ("glasses", "sunglasses", "eyeglasses", "eyewear", "spectacles"),
     ("안경", "선글라스", "안경테", "아이웨어")),
    ("ring_box", ("jewelry", "jewellery", "ring", "necklace", "earring", "bracelet"),
     ("반지", "귀걸이", "목걸이", "팔찌", "주얼리", "쥬얼리", "보석", "귀금속")),
    ("laptop", ("laptop", "computer", "pc", "macbook", "notebook computer"),
     ("노트북", "랩탑", "컴퓨터", "맥북")),
    ("headphones", ("headphone", "headset", "earphone", "earbud", "audio", "headphones & headsets"),
     ("헤드폰", "헤드셋", "이어폰", "음향", "오디오", "블루투스이어폰")),
    ("phone", ("phone", "smartphone", "mobile phone", "cellphone", "tablet", "telephony"),
     ("휴대폰", "핸드폰", "스마트폰", "폰", "휴대전화", "태블릿", "아이폰")),
    ("book", ("book", "novel", "magazine", "comic", "diary", "journal", "notebook", "print book"),
     ("책", "도서", "서적", "소설", "만화", "잡지", "다이어리", "노트", "그림책", "문제집")),
    ("teddy_bear", ("toy", "doll", "plush", "teddy", "stuffed animal", "figure"),
     ("장난감", "완구", "인형", "곰인형", "토이", "피규어", "봉제")),
    ("ball", ("ball", "football", "soccer", "basketball", "volleyball", "baseball"),
     ("공", "축구공", "농구공", "배구공", "야구공", "볼", "축구", "농구")),
    ("pan", ("pan", "frying pan", "skillet", "wok", "griddle", "skillets & frying pans"),
     ("프라이팬", "팬", "웍", "궁중팬", "후라이팬", "그릴팬")),
    ("pot", ("pot", "saucepan", "stockpot", "casserole", "dutch oven", "cookware", "stock pot"),
     ("냄비", "솥", "전골", "뚝배기", "압력솥", "곰솥")),
    ("mug", ("mug", "cup", "tumbler", "drinkware", "teacup"), ("머그", "컵", "머그컵", "텀블러", "찻잔", "커피잔")),
    ("bowl", ("bowl", "plate", "dish", "dinnerware", "tableware", "ceramic"),
     ("그릇", "접시", "식기", "공기", "사발", "도자기", "밥그릇", "국그릇", "식기세트")),
    ("plant", ("plant", "flower", "succulent", "houseplant", "bonsai", "flowers"),
     ("화분", "식물", "꽃", "다육이", "화훼", "묘목", "원예", "플랜트", "꽃다발", "분재")),
    ("detergent", ("detergent", "cleaner", "cleaning", "laundry", "bleach", "softener", "dish soap"),
     ("세제", "세정제", "섬유유연제", "주방세제", "세탁", "청소", "락스", "표백제")),
    ("box", ("box", "carton box", "package"), ("박스", "상자", "포장")),
]

# (family, default model, English words, Korean words): departments that say little about the shape.
FAMILY_RULES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("produce", "fruit_crate", ("produce", "fresh produce", "fruits & vegetables"),
     ("농산물", "신선식품", "농수산물", "로컬푸드", "산지직송")),
    ("food", "box", ("food", "grocery", "groceries", "pantry", "food items", "deli", "foods"),
     ("식품", "먹거리", "가공식품", "식료품", "푸드", "반찬", "식자재", "건강식품", "냉동식품", "즉석식품",
      "전통식품", "특산물")),
    ("drinks", "bottle", ("beverages", "drinks"), ("음료", "드링크", "마실거리")),
    ("apparel", "folded_shirt", ("apparel", "clothing", "clothes", "fashion", "garment", "wear"),
     ("의류", "패션", "옷", "의복", "여성의류", "남성의류", "아동복", "언더웨어", "속옷")),
    ("shoes", "sneaker", ("footwear",), ("신발", "슈즈", "풋웨어", "제화")),
    ("bags", "handbag", ("luggage", "bags", "luggage & bags"), ("잡화", "패션잡화", "백")),
    ("accessories", "ring_box", ("accessories", "accessory"), ("액세서리", "악세사리", "악세서리", "소품")),
    ("electronics", "phone", ("electronics", "electronic", "digital", "gadget", "tech"),
     ("전자", "가전", "디지털", "전자제품", "전자기기", "가전제품")),
    ("media", "book", ("media", "books", "stationery", "office supplies"),
     ("문구", "음반", "사무용품", "학용품")),
    ("toys", "teddy_bear", ("toys", "kids", "baby", "games", "toys & games", "hobby"),
     ("키즈", "유아", "유아동", "어린이", "아동", "취미", "출산")),
    ("sports", "ball", ("sports", "sporting goods", "fitness", "outdoor", "athletics", "sporting"),
     ("스포츠", "레저", "운동", "운동용품", "스포츠용품", "아웃도어", "캠핑", "헬스")),
    ("beauty", "cosmetic_tube", ("beauty", "cosmetics", "personal care", "health & beauty", "toiletries"),
     ("화장품", "뷰티", "코스메틱", "미용", "퍼스널케어", "바디케어", "헤어케어", "바디", "헤어")),
    ("kitchen", "pot", ("kitchen", "kitchenware", "kitchen & dining", "housewares"),
     ("주방", "주방용품", "조리도구", "키친", "조리기구")),
    ("home", "box", ("home", "household", "living", "home & garden", "homeware", "household supplies"),
     ("생활", "생활용품", "리빙", "홈", "인테리어", "욕실", "생필품", "생활잡화")),
]

# Google product taxonomy ids (2021-09-21 release) a feed may carry instead of names.
GOOGLE_IDS: dict[int, str] = {
    166: "folded_shirt", 1604: "folded_shirt", 212: "folded_shirt", 5322: "folded_shirt",
    203: "coat", 5598: "coat", 204: "folded_pants", 207: "folded_pants", 2271: "hanger_garment",
    1581: "hanger_garment", 5388: "hanger_garment", 167: "hat", 173: "hat", 2020: "hat", 178: "glasses",
    524: "glasses", 188: "ring_box", 201: "watch", 187: "sneaker", 6551: "handbag", 3032: "handbag",
    2668: "handbag", 5181: "handbag", 100: "backpack", 5608: "tote_bag",
    412: "box", 422: "box", 413: "bottle", 420: "bottle", 2887: "bottle", 499676: "wine_bottle",
    417: "wine_bottle", 421: "wine_bottle", 414: "can", 2628: "can", 418: "milk_carton", 430: "fruit_crate",
    5795: "fruit_crate", 5793: "vegetable_bundle", 431: "rice_bag", 4682: "rice_bag", 423: "snack_bag",
    2392: "snack_bag", 4748: "snack_bag", 434: "noodle_cup", 427: "jar", 2188: "jar", 4947: "jar",
    500076: "kimchi_jar", 6518: "kimchi_jar", 1876: "bread", 424: "bread", 136: "gift_box",
    469: "cosmetic_tube", 2915: "cosmetic_tube", 473: "cosmetic_tube", 2844: "cosmetic_tube",
    1360: "cosmetic_tube", 567: "cream_jar", 2592: "pump_bottle", 2441: "pump_bottle", 2747: "pump_bottle",
    2645: "lipstick", 3021: "lipstick", 479: "perfume",
    985: "plant", 6762: "plant", 543558: "plant", 984: "plant", 630: "detergent", 638: "pot", 6070: "pot",
    654: "pot", 661: "pot", 663: "pot", 662: "pan", 664: "pan", 674: "mug", 2169: "mug", 6049: "mug",
    672: "bowl", 673: "bowl",
    222: "phone", 267: "phone", 4745: "phone", 278: "laptop", 328: "laptop", 223: "headphones",
    505771: "headphones", 783: "book", 784: "book", 543543: "book", 1239: "teddy_bear", 1253: "teddy_bear",
    1255: "teddy_bear", 1266: "ball", 988: "ball", 1083: "ball", 1112: "ball", 993: "ball",
}

# The model for each placeholder shape placement chose from the full category path (the last resort).
SHAPE_MODELS: dict[str, str] = {
    "box": "box", "bottle": "bottle", "jar": "jar", "folded_garment": "folded_shirt", "shoe_box": "sneaker",
    "fruit_crate": "fruit_crate", "can": "can", "bag": "handbag",
}

# Tall models with a flat stand-in, used when a slot is far too low for them (a coat on a folded-goods table).
FLAT_ALTERNATIVES: dict[str, str] = {"hanger_garment": "folded_shirt", "coat": "folded_shirt"}

FAMILY_DEFAULTS: dict[str, str] = {family: default for family, default, _, _ in FAMILY_RULES}
DEFAULTS = frozenset(FAMILY_DEFAULTS.values())

_SPLIT = re.compile(r"\s*(?:>|/|›|»)\s*")
_GOOGLE = re.compile(r"^\s*(\d{1,7})\s*(?:-\s*(.*))?$")
_TOKENS = re.compile(r"[\s,·&()\[\]{}+|_:;!?.'\"/]+")
_WORDS = re.compile(r"[a-z][a-z-]*")


class _Matcher:
    """Finds every rule one text matches (as rule indices), in one regex pass plus word look-ups."""

    def __init__(self, rules: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]) -> None:
        self.words: dict[str, int] = {}
        self.phrases: list[tuple[str, int]] = []
        self.syllables: dict[str, int] = {}
        fragments: dict[str, int] = {}
        for index, (english, korean) in enumerate(rules):
            for word in english:
                if " " in word or "&" in word:
                    self.phrases.append((" ".join(_WORDS.findall(word)), index))
                else:
                    self.words.setdefault(word, index)
            for word in korean:
                target = self.syllables if len(word) == 1 else fragments
                target.setdefault(word, index)
        self.fragments = fragments
        ordered = sorted(fragments, key=lambda w: (-len(w), w))
        self.pattern = re.compile("|".join(re.escape(w) for w in ordered))

    def matches(self, text: str) -> set[int]:
        lowered = text.casefold()
        found = {self.fragments[m] for m in self.pattern.findall(text)}
        found |= {self.syllables[t] for t in _TOKENS.split(text) if t in self.syllables}
        words = _WORDS.findall(lowered)
        for word in words:
            for candidate in _singular(word):
                if candidate in self.words:
                    found.add(self.words[candidate])
                    break
        if self.phrases:
            joined = f" {' '.join(words)} "
            found |= {index for phrase, index in self.phrases
                      if f" {phrase} " in joined or f" {phrase}s " in joined or f" {phrase}es " in joined}
        return found


def _singular(word: str) -> tuple[str, ...]:
    if word.endswith("ies"):
        return (word, word[:-3] + "y")
    if word.endswith("es"):
        return (word, word[:-2], word[:-1])
    if word.endswith("s") and not word.endswith("ss"):
        return (word, word[:-1])
    return (word,)


_MODEL_MATCH = _Matcher([(en, ko) for _, en, ko in MODEL_RULES])
_FAMILY_MATCH = _Matcher([(en, ko) for _, _, en, ko in FAMILY_RULES])


@lru_cache(maxsize=8192)
def _model_rules(text: str) -> tuple[int, ...]:
    return tuple(sorted(_MODEL_MATCH.matches(text)))


@lru_cache(maxsize=4096)
def _part(part: str) -> tuple[str | None, str | None]:
    """(model, family) for one category part: a Google id, a model rule, else a family rule."""
    google = _GOOGLE.match(part)
    if google:
        model = GOOGLE_IDS.get(int(google.group(1)))
        if model is not None:
            return model, MODEL_FAMILY[model]
        part = google.group(2) or ""
    hits = _model_rules(part)
    if hits:
        model = MODEL_RULES[hits[0]][0]
        return model, MODEL_FAMILY[model]
    families = sorted(_FAMILY_MATCH.matches(part))
    if families:
        return None, FAMILY_RULES[families[0]][0]
    return None, None


def category_parts(category: Sequence[str]) -> list[str]:
    """The path's parts, most specific first, whether written as a list, 'a > b' or 'a/b'."""
    parts = [piece for item in category for piece in _SPLIT.split(item.strip()) if piece.strip()]
    return parts[::-1]


def _by_name(name: str, families: Sequence[str] | None) -> str | None:
    for index in _model_rules(name):
        model = MODEL_RULES[index][0]
        if families is None or MODEL_FAMILY[model] in families:
            return model
    return None


def kit_model(category: Sequence[str], name: str = "", shape: str | None = None) -> str:
    """The kit model for a product: its category path (most general first), display name and placeholder shape."""
    return _kit_model(tuple(category), name, shape)


@lru_cache(maxsize=16384)
def _kit_model(category: tuple[str, ...], name: str, shape: str | None) -> str:
    model: str | None = None
    family: str | None = None
    for part in category_parts(category):
        model, part_family = _part(part)
        if model is not None:
            break
        family = family or part_family
    if model is None and family is None:
        return (_by_name(name, None) if name else None) or SHAPE_MODELS.get(shape or "", FALLBACK)
    allowed = (MODEL_FAMILY[model],) if model is not None else ACCEPTS[family or ""]
    named = _by_name(name, allowed) if name else None
    if named is not None:
        return named
    fallback = model if model is not None else FAMILY_DEFAULTS[family or ""]
    # The shape came from the whole category path; it is finer than a department or a family's default.
    shaped = SHAPE_MODELS.get(shape or "box", FALLBACK)
    if shape not in (None, "box") and fallback in DEFAULTS and MODEL_FAMILY[shaped] in allowed:
        return shaped
    return fallback


def for_slot(model: str, slot: Vec3, sizes: Mapping[str, Vec3]) -> str:
    """``model``, or its flat stand-in when that shows at least twice the front face in a low slot.

    Compared by the front area (width × height) each fills at its uniform scale: a coat squeezed onto a
    folded-goods table is a thumbnail, a folded shirt fills the slot.
    """
    flat = FLAT_ALTERNATIVES.get(model)
    if flat is None or model not in sizes or flat not in sizes:
        return model
    return flat if _front(sizes[flat], slot) > 2 * _front(sizes[model], slot) else model


def _front(extent: Vec3, slot: Vec3) -> float:
    scale = min(s / e for s, e in zip(slot, extent, strict=True) if e > 0)
    return float(scale ** 2 * extent[0] * extent[1] / max(slot[0] * slot[1], 1e-12))


def served_by(model: str) -> dict[str, list[str] | list[int]]:
    """What routes products to ``model``: Google ids, English and Korean words (for ``assets/kit/kit.json``)."""
    english: list[str] = []
    korean: list[str] = []
    for name, en, ko in MODEL_RULES:
        if name == model:
            english += en
            korean += ko
    for _, default, en, ko in FAMILY_RULES:
        if default == model:
            english += en
            korean += ko
    ids = sorted(i for i, m in GOOGLE_IDS.items() if m == model)
    shapes = sorted(s for s, m in SHAPE_MODELS.items() if m == model)
    return {"google": ids, "en": english, "ko": korean, "shapes": shapes}
