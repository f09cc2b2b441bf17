"""The kit's recipes: one function per model, each returning tinted (``BODY``) and fixed-colour parts.

``RECIPES`` is the list ``make_kit.py`` writes, in this order. ``colour`` is the model's own body colour (sRGB);
``own_colour`` says a product without a colour option keeps it (fresh food, plants: a blue apple would be
wrong) instead of taking its category's colour as manufactured goods do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kit_recipes import apparel, food, goods, home
from kit_recipes.parts import Parts


@dataclass(frozen=True)
class Recipe:
    name: str
    ko: str
    en: str
    build: Callable[[], Parts]
    colour: str
    own_colour: bool = False


RECIPES: list[Recipe] = [
    Recipe("bottle", "페트병 음료", "bottled drink", food.bottle, "#3f8fd2"),
    Recipe("wine_bottle", "와인·소주병", "wine or soju bottle", food.wine_bottle, "#f1e4c8"),
    Recipe("can", "캔 음료", "drink can", food.can, "#d0312d"),
    Recipe("milk_carton", "우유 팩", "milk carton", food.milk_carton, "#5b9bd5"),
    Recipe("jar", "잼·소스 병", "jam or sauce jar", food.jar, "#b3262e"),
    Recipe("kimchi_jar", "김치 옹기", "kimchi crock (onggi)", food.kimchi_jar, "#6b4226", own_colour=True),
    Recipe("snack_bag", "과자 봉지", "snack bag", food.snack_bag, "#e8a33d"),
    Recipe("rice_bag", "쌀 포대", "rice sack", food.rice_bag, "#efe6cf", own_colour=True),
    Recipe("noodle_cup", "컵라면", "cup noodles", food.noodle_cup, "#d8352a"),
    Recipe("gift_box", "선물 세트", "gift set", food.gift_box, "#7d2e46"),
    Recipe("bread", "빵", "bread loaf", food.bread, "#c98b45", own_colour=True),
    Recipe("box", "상자 포장 상품", "boxed product", food.box, "#c8a06a"),
    Recipe("fruit_crate", "과일 상자", "fruit crate", food.fruit_crate, "#d33a2c", own_colour=True),
    Recipe("vegetable_bundle", "대파 단", "green-onion bundle", food.vegetable_bundle, "#4f9a3a", own_colour=True),
    Recipe("cabbage", "배추", "napa cabbage", food.cabbage, "#6aa84f", own_colour=True),
    Recipe("folded_shirt", "개어 놓은 셔츠", "folded shirt", apparel.folded_shirt, "#4a78b5"),
    Recipe("folded_pants", "개어 놓은 바지", "folded jeans", apparel.folded_pants, "#3b5b8c"),
    Recipe("hanger_garment", "옷걸이에 건 옷", "garment on a hanger", apparel.hanger_garment, "#e06b5b"),
    Recipe("coat", "코트", "coat on a hanger", apparel.coat, "#8c6a4f"),
    Recipe("hat", "모자", "cap", apparel.hat, "#2f4f7f"),
    Recipe("sneaker", "운동화", "sneaker", apparel.sneaker, "#d64541"),
    Recipe("boot", "부츠", "boot", apparel.boot, "#6b4a2e"),
    Recipe("shoe", "구두", "dress shoe", apparel.shoe, "#4a3426"),
    Recipe("handbag", "핸드백", "handbag", apparel.handbag, "#8e3b2f"),
    Recipe("backpack", "백팩", "backpack", apparel.backpack, "#2f5d7c"),
    Recipe("tote_bag", "에코백", "tote bag", apparel.tote_bag, "#e9dfc8"),
    Recipe("watch", "손목시계", "wristwatch", goods.watch, "#5a3d2b"),
    Recipe("glasses", "안경", "glasses", goods.glasses, "#2a2a2a"),
    Recipe("ring_box", "주얼리", "jewellery box", goods.ring_box, "#7a1f3d"),
    Recipe("phone", "스마트폰", "smartphone", goods.phone, "#2d3340"),
    Recipe("laptop", "노트북", "laptop", goods.laptop, "#a9afb7"),
    Recipe("headphones", "헤드폰", "headphones", goods.headphones, "#303338"),
    Recipe("book", "책", "book", goods.book, "#2e5e8c"),
    Recipe("teddy_bear", "곰 인형", "teddy bear", goods.teddy_bear, "#a8703e"),
    Recipe("ball", "공", "ball", goods.ball, "#e8762b"),
    Recipe("cosmetic_tube", "튜브 화장품", "cosmetic tube", home.cosmetic_tube, "#f2b8c6"),
    Recipe("lipstick", "립스틱", "lipstick", home.lipstick, "#c2185b"),
    Recipe("perfume", "향수", "perfume", home.perfume, "#f3c98b"),
    Recipe("pump_bottle", "펌프 용기", "pump bottle", home.pump_bottle, "#7fb8c9"),
    Recipe("cream_jar", "크림 용기", "cream jar", home.cream_jar, "#f5e6e8"),
    Recipe("pot", "냄비", "cooking pot", home.pot, "#c9ccd1"),
    Recipe("pan", "프라이팬", "frying pan", home.pan, "#3a3a40"),
    Recipe("mug", "머그컵", "mug", home.mug, "#f0e6d8"),
    Recipe("bowl", "그릇", "bowls", home.bowl, "#f5f0e6"),
    Recipe("plant", "화분", "potted plant", home.plant, "#4f8f3a", own_colour=True),
    Recipe("detergent", "세제", "detergent jug", home.detergent, "#3e8ed0"),
]
