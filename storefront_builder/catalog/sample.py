"""Deterministic sample catalogs with Korean names and KRW prices, for the demo festival, tests and benchmarks."""

from __future__ import annotations

import random

from storefront_builder.catalog.models import Dimensions, Money, Product

# kind → [(category path, [(ko name, en name, base price in KRW, (w, h, d) metres)])]
_CATALOGS: dict[str, list[tuple[list[str], list[tuple[str, str, int, tuple[float, float, float]]]]]] = {
    "department_store": [
        (["의류", "상의"], [("울 니트", "Wool knit", 89000, (0.3, 0.08, 0.35)),
                          ("옥스퍼드 셔츠", "Oxford shirt", 59000, (0.3, 0.06, 0.35))]),
        (["의류", "아우터"], [("패딩 점퍼", "Padded jacket", 189000, (0.4, 0.12, 0.45))]),
        (["신발"], [("러닝화", "Running shoes", 129000, (0.33, 0.13, 0.21)),
                  ("가죽 로퍼", "Leather loafers", 159000, (0.32, 0.12, 0.2))]),
        (["화장품"], [("수분 크림", "Moisture cream", 42000, (0.07, 0.07, 0.07)),
                   ("쿠션 팩트", "Cushion compact", 38000, (0.09, 0.04, 0.09)),
                   ("립스틱", "Lipstick", 32000, (0.03, 0.09, 0.03))]),
        (["가방"], [("토트백", "Tote bag", 239000, (0.4, 0.32, 0.15))]),
        (["주방", "식기"], [("도자기 머그", "Ceramic mug", 18000, (0.1, 0.11, 0.1)),
                         ("유기 수저 세트", "Brass cutlery set", 68000, (0.25, 0.05, 0.12))]),
    ],
    "traditional_market": [
        (["과일"], [("제주 감귤", "Jeju tangerines", 15000, (0.4, 0.25, 0.3)),
                  ("성주 참외", "Korean melons", 22000, (0.4, 0.25, 0.3)),
                  ("청송 사과", "Cheongsong apples", 28000, (0.4, 0.25, 0.3))]),
        (["채소"], [("해남 배추", "Napa cabbage", 6000, (0.35, 0.2, 0.3)),
                  ("무", "Radish", 3000, (0.3, 0.15, 0.25))]),
        (["반찬"], [("배추김치", "Cabbage kimchi", 12000, (0.12, 0.14, 0.12)),
                  ("깍두기", "Radish kimchi", 9000, (0.12, 0.14, 0.12)),
                  ("멸치볶음", "Stir-fried anchovies", 7000, (0.1, 0.08, 0.1))]),
        (["떡", "전통"], [("인절미", "Injeolmi rice cake", 8000, (0.2, 0.06, 0.14)),
                        ("약과", "Yakgwa honey cookies", 10000, (0.2, 0.06, 0.14))]),
        (["소스"], [("고추장", "Gochujang", 11000, (0.1, 0.13, 0.1)),
                  ("참기름", "Sesame oil", 14000, (0.07, 0.2, 0.07))]),
    ],
    "street_district": [
        (["의류", "스트리트"], [("오버핏 후드", "Oversized hoodie", 69000, (0.32, 0.1, 0.38)),
                           ("그래픽 티셔츠", "Graphic T-shirt", 35000, (0.3, 0.05, 0.35))]),
        (["신발"], [("캔버스 스니커즈", "Canvas sneakers", 79000, (0.32, 0.12, 0.2))]),
        (["액세서리"], [("볼캡", "Ball cap", 29000, (0.2, 0.12, 0.25)),
                     ("에코백", "Canvas tote", 25000, (0.36, 0.4, 0.05))]),
        (["문구"], [("일러스트 엽서", "Illustrated postcard", 3000, (0.15, 0.1, 0.01)),
                  ("다이어리", "Diary", 18000, (0.15, 0.21, 0.03))]),
    ],
    "convenience_store": [
        (["음료"], [("바나나 우유", "Banana milk", 1700, (0.07, 0.12, 0.07)),
                  ("보리차", "Barley tea", 1500, (0.07, 0.22, 0.07)),
                  ("탄산수", "Sparkling water", 1200, (0.066, 0.12, 0.066))]),
        (["라면"], [("매운 라면", "Spicy ramyeon", 1000, (0.15, 0.05, 0.12)),
                  ("컵라면", "Cup noodles", 1300, (0.1, 0.1, 0.1))]),
        (["과자"], [("감자칩", "Potato chips", 1800, (0.18, 0.25, 0.07)),
                  ("초코파이", "Choco pie", 4800, (0.24, 0.07, 0.12))]),
        (["간편식"], [("삼각김밥", "Triangle kimbap", 1200, (0.1, 0.1, 0.04)),
                   ("도시락", "Lunch box", 4900, (0.22, 0.06, 0.16))]),
        (["생활용품"], [("물티슈", "Wet wipes", 2000, (0.2, 0.06, 0.11)),
                     ("칫솔", "Toothbrush", 2500, (0.05, 0.2, 0.02))]),
    ],
}
_VARIANTS = ("", "프리미엄 ", "대용량 ", "미니 ", "한정판 ", "유기농 ", "선물용 ", "시즌 ")
_VARIANTS_EN = ("", "Premium ", "Large ", "Mini ", "Limited ", "Organic ", "Gift ", "Seasonal ")


def sample_catalog(kind: str, count: int, *, seed: int = 7, prefix: str | None = None) -> list[Product]:
    """``count`` products for a store of ``kind`` (brand_shop and others fall back to the department store)."""
    rng = random.Random(f"{kind}:{seed}")
    groups = _CATALOGS.get(kind, _CATALOGS["department_store"])
    base = [(cat, item) for cat, items in groups for item in items]
    code = prefix or kind[:3].upper()
    products = []
    for n in range(count):
        category, (ko, en, price, size) = base[n % len(base)]
        variant = (n // len(base)) % len(_VARIANTS)
        scale = 1 + 0.1 * variant
        amount = max(100, round(price * scale * rng.uniform(0.9, 1.1), -2))
        on_sale = rng.random() < 0.3
        products.append(Product(
            sku=f"{code}-{n + 1:05d}",
            name_ko=f"{_VARIANTS[variant]}{ko}".strip(),
            name_en=f"{_VARIANTS_EN[variant]}{en}".strip(),
            description=f"{ko} — 페스타 특가 상품",
            category=category,
            price=Money(amount=int(amount), currency="KRW"),
            sale_price=Money(amount=int(round(amount * 0.8, -2)), currency="KRW") if on_sale else None,
            stock=rng.randint(0, 60) if rng.random() < 0.9 else 0,
            dimensions=Dimensions(width=size[0], height=size[1], depth=size[2]),
            rank=n,
        ))
    return products


def sample_catalog_json(kind: str, count: int, *, seed: int = 7, prefix: str | None = None) -> str:
    """The sample catalog as vrstore's native JSON catalog file."""
    import json

    items = [p.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for p in
             sample_catalog(kind, count, seed=seed, prefix=prefix)]
    return json.dumps({"currency": "KRW", "products": items}, ensure_ascii=False)
