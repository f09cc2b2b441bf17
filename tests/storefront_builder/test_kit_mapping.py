"""The category → kit model mapping and the colour-name table (storefront_builder.kit, kit_colors): pure tables."""

from __future__ import annotations

import pytest

from storefront_builder.geometry.kit_models import load_kit
from storefront_builder.kit import (
    FAMILIES,
    FAMILY_RULES,
    GOOGLE_IDS,
    MODEL_FAMILY,
    MODEL_RULES,
    MODELS,
    SHAPE_MODELS,
    category_parts,
    for_slot,
    kit_model,
)
from storefront_builder.kit_colors import color_option, color_rgb, linear8, option_tint

# (category path, product name, placeholder shape, expected kit model)
CASES: list[tuple[list[str], str, str | None, str]] = [
    (["Apparel & Accessories", "Shoes"], "", None, "sneaker"),
    (["187"], "", None, "sneaker"),
    (["187 - Apparel & Accessories > Shoes"], "", None, "sneaker"),
    (["Apparel & Accessories > Shoes"], "Leather Chelsea Boots", None, "boot"),
    (["신발"], "나이키 운동화", None, "sneaker"),
    (["신발"], "첼시 부츠", None, "boot"),
    (["신발"], "", None, "sneaker"),
    (["신발"], "소가죽 로퍼", None, "shoe"),
    (["패션잡화", "가방"], "", None, "handbag"),
    (["가방"], "캔버스 백팩", None, "backpack"),
    (["가방"], "에코백", None, "tote_bag"),
    (["식품", "김치"], "", None, "kimchi_jar"),
    (["식품"], "포기김치 3kg", None, "kimchi_jar"),
    (["반찬"], "배추김치", None, "kimchi_jar"),
    (["농산물"], "절임배추 20kg", None, "cabbage"),
    (["과일"], "", None, "fruit_crate"),
    (["식품"], "제주 감귤 5kg", None, "fruit_crate"),
    (["식품"], "사과맛 젤리", None, "snack_bag"),
    (["식품"], "유기농 쌀 10kg", None, "rice_bag"),
    (["식품"], "", "jar", "jar"),
    (["식품"], "", None, "box"),
    (["식품"], "바닐라 아이스크림", None, "box"),
    (["식품", "과자"], "", None, "snack_bag"),
    (["식품 > 라면"], "", None, "noodle_cup"),
    (["한과"], "", None, "gift_box"),
    (["화장품"], "립스틱 레드", None, "lipstick"),
    (["화장품", "향수"], "", None, "perfume"),
    (["뷰티"], "수분크림", None, "cream_jar"),
    (["화장품"], "선크림 SPF50", None, "cosmetic_tube"),
    (["Health & Beauty > Personal Care > Cosmetics > Makeup > Lip Makeup > Lipstick"], "", None, "lipstick"),
    (["3021"], "", None, "lipstick"),
    (["주방용품"], "스텐 냄비 20cm", None, "pot"),
    (["주방"], "코팅 프라이팬 28cm", None, "pan"),
    (["Home & Garden", "Kitchen & Dining", "Tableware", "Drinkware", "Mugs"], "", None, "mug"),
    (["Home & Garden"], "", None, "box"),
    (["식기"], "", None, "bowl"),
    (["의류", "아우터"], "패딩 점퍼", None, "coat"),
    (["의류"], "린넨 오버핏 셔츠", None, "folded_shirt"),
    (["의류"], "와이드 청바지", None, "folded_pants"),
    (["의류"], "플리츠 원피스", None, "hanger_garment"),
    (["의류"], "버킷햇", None, "hat"),
    (["의류"], "러닝화", None, "sneaker"),
    (["의류", "상의"], "", None, "folded_shirt"),
    (["음료"], "", None, "bottle"),
    (["음료"], "캔커피", None, "can"),
    (["음료"], "바나나 우유", None, "milk_carton"),
    (["음료"], "", "can", "can"),
    (["주류", "와인"], "", None, "wine_bottle"),
    (["전통주"], "막걸리", None, "bottle"),
    (["전통주"], "", None, "wine_bottle"),
    (["Electronics"], "Wireless Headphones", None, "headphones"),
    (["전자제품"], "노트북 15인치", None, "laptop"),
    (["디지털"], "스마트폰", None, "phone"),
    (["도서"], "", None, "book"),
    (["완구"], "", None, "teddy_bear"),
    (["스포츠"], "축구공", None, "ball"),
    (["Toys & Games"], "", None, "teddy_bear"),
    (["생활용품"], "주방세제 1L", None, "detergent"),
    (["생활용품"], "수세미", None, "box"),
    (["생활용품"], "샴푸 500ml", None, "pump_bottle"),
    (["화훼"], "", None, "plant"),
    (["cat-5"], "", "bag", "handbag"),
    (["기타"], "무선 이어폰", None, "headphones"),
    ([], "", None, "box"),
    (["general"], "", None, "box"),
    (["Food, Beverages & Tobacco > Food Items > Snack Foods > Chips"], "", None, "snack_bag"),
    (["Food, Beverages & Tobacco"], "", None, "box"),
    (["Food, Beverages & Tobacco > Beverages > Alcoholic Beverages > Beer"], "", None, "can"),
    (["Luggage & Bags > Backpacks"], "", None, "backpack"),
    (["Apparel & Accessories > Jewelry > Watches"], "", None, "watch"),
    (["Apparel & Accessories > Clothing Accessories > Sunglasses"], "", None, "glasses"),
    (["Media > Books"], "", None, "book"),
    (["Sporting Goods > Athletics > Basketball > Basketballs"], "", None, "ball"),
    (["Home & Garden > Plants > Indoor & Outdoor Plants > Potted Houseplants"], "", None, "plant"),
    (["Apparel & Accessories > Clothing > Outerwear > Coats & Jackets"], "", None, "coat"),
    (["Apparel & Accessories"], "Oxford Shirt", None, "folded_shirt"),
    (["Food, Beverages & Tobacco", "Food Items", "Fruits & Vegetables", "Fresh & Frozen Vegetables"], "", None,
     "vegetable_bundle"),
    (["채소"], "대파 1단", None, "vegetable_bundle"),
    (["액세서리"], "실버 반지", None, "ring_box"),
    (["액세서리"], "손목시계", None, "watch"),
    (["잡화"], "선글라스", None, "glasses"),
    (["식품"], "식빵", None, "bread"),
    (["음료"], "딸기 주스", None, "bottle"),
]


@pytest.mark.parametrize(("category", "name", "shape", "expected"), CASES)
def test_category_name_and_shape_pick_the_kit_model(category: list[str], name: str, shape: str | None,
                                                    expected: str) -> None:
    assert kit_model(category, name, shape) == expected


def test_every_rule_names_a_model_the_kit_has() -> None:
    kit = load_kit()
    named = {m for m, _, _ in MODEL_RULES} | {d for _, d, _, _ in FAMILY_RULES} | set(GOOGLE_IDS.values())
    named |= set(SHAPE_MODELS.values())
    assert named <= set(kit) and set(MODELS) == set(kit)
    assert set(MODEL_FAMILY) == {m for models in FAMILIES.values() for m in models}


def test_category_paths_split_on_any_separator_most_specific_first() -> None:
    assert category_parts(["Apparel & Accessories > Shoes"]) == ["Shoes", "Apparel & Accessories"]
    assert category_parts(["식품/과자", " 스낵 "]) == ["스낵", "과자", "식품"]
    assert category_parts([]) == []


def test_a_one_syllable_korean_word_matches_only_as_a_whole_word() -> None:
    # "배" (pear) is fruit; "배낭" (backpack) and "배송" (delivery) are not.
    assert kit_model(["기타"], "나주 배 7.5kg") == "fruit_crate"
    assert kit_model(["기타"], "등산 배낭") == "backpack"
    assert kit_model(["기타"], "무료 배송") == "box"


def test_a_coat_in_a_flat_slot_is_drawn_folded() -> None:
    sizes = {"coat": (0.6, 1.0, 0.07), "folded_shirt": (1.0, 0.27, 0.83)}
    assert for_slot("coat", (0.35, 0.08, 0.3), sizes) == "folded_shirt"  # the folded-goods table slot
    assert for_slot("coat", (0.6, 1.1, 0.3), sizes) == "coat"  # a rack's hanging slot
    assert for_slot("sneaker", (0.35, 0.08, 0.3), sizes) == "sneaker"  # no flat stand-in


@pytest.mark.parametrize(("options", "rgb"), [
    ({"색상": "빨강"}, (211, 47, 47)),
    ({"컬러": "블랙"}, (30, 30, 30)),
    ({"Color": "Navy Blue"}, (31, 45, 77)),
    ({"colour": "Purple/White"}, (123, 63, 160)),
    ({"색깔": "흰색"}, (245, 245, 242)),
    ({"Color ": "Sky Blue"}, (126, 192, 238)),
    ({"색상": "검은색"}, (30, 30, 30)),
    ({"color": "Midnight Black"}, (30, 30, 30)),
    ({"size": "M", "색상": "베이지"}, (216, 195, 165)),
])
def test_colour_names_in_korean_and_english(options: dict[str, str], rgb: tuple[int, int, int]) -> None:
    name = color_option(options)
    assert name is not None and color_rgb(name) == rgb
    assert option_tint(options) == linear8(rgb)


def test_shades_lighten_and_darken_the_base_colour() -> None:
    base = color_rgb("blue")
    light, dark = color_rgb("light blue"), color_rgb("진한 파랑")
    assert base is not None and light is not None and dark is not None
    assert all(lo > b for lo, b in zip(light, base, strict=True) if b < 255)
    assert all(d <= b for d, b in zip(dark, base, strict=True)) and dark != base
    assert color_rgb("연한 하늘색") is not None and color_rgb("연두") == (156, 204, 101)


def test_unknown_colours_and_products_without_one_give_nothing() -> None:
    assert color_option({"size": "M", "material": "cotton"}) is None
    assert option_tint({"size": "M"}) is None
    assert color_option({"color": "Sunset Glow"}) == "Sunset Glow"
    assert option_tint({"color": "Sunset Glow"}) is None
    assert option_tint({"색상": "  "}) is None
    assert color_rgb("와인") is not None  # a colour name that contains no separator word


def test_linear_bytes_are_glTF_vertex_colours() -> None:
    assert linear8((255, 255, 255)) == (255, 255, 255, 255)
    assert linear8((0, 0, 0)) == (0, 0, 0, 255)
    assert linear8((188, 188, 188)) == (128, 128, 128, 255)  # sRGB mid-grey is linear ~0.5
