"""Category and zone names in both languages: the one table, the manifest's zones, the signs and the client's copy."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from storefront_builder.build import build_scene
from storefront_builder.build_steps.signage import _board_text, all_signs
from storefront_builder.catalog.category_names import KO_EN, names, render_js, sign_lines
from storefront_builder.geometry import signage as text
from storefront_builder.layout.templates import TEMPLATE_KINDS, load_template
from storefront_builder.plan import Sign, StorePlan, Zone
from storefront_builder.resources import assets_dir

GENERATED = Path(__file__).resolve().parents[2] / "web_client" / "shared" / "category_strings.js"


def test_the_committed_client_table_is_what_the_generator_makes() -> None:
    assert GENERATED.read_text(encoding="utf-8") == render_js(), (
        "web_client/shared/category_strings.js is stale: "
        "python -m storefront_builder.catalog.category_names > web_client/shared/category_strings.js")


def test_each_english_name_belongs_to_one_korean_name() -> None:
    english = [en.casefold() for en in KO_EN.values()]
    assert len(set(english)) == len(english), "the way back from English must be unique"
    assert all(ko.strip() and en.strip() and ko != en for ko, en in KO_EN.items())


def test_names_go_both_ways_and_fall_back_to_the_name_itself() -> None:
    assert names("의류") == {"ko": "의류", "en": "Clothing"}
    assert names(" 과자·간식 ") == {"ko": "과자·간식", "en": "Snacks & sweets"}
    assert names("clothing") == {"ko": "의류", "en": "Clothing"}  # an English catalog's category, any case
    assert names("한정 굿즈") == {"ko": "한정 굿즈", "en": "한정 굿즈"}  # unknown Korean: Korean in both
    assert names("Vinyl records") == {"ko": "Vinyl records", "en": "Vinyl records"}
    assert sign_lines("음료") == ["음료", "Beverages"]
    assert sign_lines("축제 광장 Festival Plaza") == ["축제 광장 Festival Plaza"]  # already bilingual, left as written


def test_every_demo_category_and_template_zone_has_an_english_name() -> None:
    seeds = yaml.safe_load((assets_dir() / "demo" / "catalog-seeds.yaml").read_text(encoding="utf-8"))
    words = {part for groups in seeds["kinds"].values() for group in groups for part in group["category"]}
    for kind in TEMPLATE_KINDS:
        layout = load_template(kind)
        words |= {zone.name for zone in layout.zones} | {layout.name}
        words |= {sign.text for sign in layout.signage if not any(ch.isascii() and ch.isalpha() for ch in sign.text)}
        words |= {portal.label for portal in layout.portals if portal.label}
    assert sorted(w for w in words if w not in KO_EN) == []


def test_the_manifest_names_each_zone_in_both_languages(make_plan: Callable[..., StorePlan]) -> None:
    plan = make_plan(6, with_extras=True)
    bounds = plan.zones[0].bounds
    zones = [Zone(name=name, bounds=bounds) for name in ("식품", "Beverages", "한정 굿즈")]
    plan = plan.model_copy(update={"zones": zones})
    written = build_scene(plan).manifest["zones"]
    assert [(z["name"], z["names"]) for z in written] == [
        ("식품", {"ko": "식품", "en": "Food"}),
        ("Beverages", {"ko": "음료", "en": "Beverages"}),
        ("한정 굿즈", {"ko": "한정 굿즈", "en": "한정 굿즈"}),  # no English known: the Korean, not nothing
    ]


def test_zone_and_portal_boards_carry_both_names_but_the_store_name_stays(make_plan: Callable[..., StorePlan]) -> None:
    plan = make_plan(6, with_extras=True)
    plan = plan.model_copy(update={"signs": [], "store_name": "식품"})  # the zone signs come from the zones
    boards = {sign.id: _board_text(sign, style) for sign, style in all_signs(plan)}
    assert boards["zone:식품"] == "식품\nFood"
    assert boards["store-name"] == "식품"  # the merchant's own name is never translated
    assert boards["portal:to-plaza"] == "광장 Plaza"
    assert _board_text(Sign(id="s", text="Vinyl", position=(0, 0, 0)), "zone") == "Vinyl"


def _ink_rows(png: bytes, rect: tuple[float, float, float, float], background: tuple[int, int, int]) -> np.ndarray:
    page = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    h, w, _ = page.shape
    tile = page[round(rect[1] * h) + 8:round(rect[3] * h) - 8, round(rect[0] * w) + 8:round(rect[2] * w) - 8]
    ink: np.ndarray = np.abs(tile - np.array(background)).sum(axis=2).max(axis=1) > 100  # rows with text on them
    return ink


def test_a_two_line_board_draws_one_line_over_the_other() -> None:
    atlas = text.render([("one", "FOOD", 4.0, "zone"), ("two", "FOOD\nDrinks", 4.0, "zone")])
    background = text.STYLES["zone"].background
    one, two = (_ink_rows(atlas.png, atlas.rects[key], background) for key in ("one", "two"))
    gaps = np.flatnonzero(np.diff(two.astype(int)))
    assert len(np.flatnonzero(np.diff(one.astype(int)))) == 2, "one line: one band of ink"
    assert len(gaps) == 4, "two lines: two bands of ink, one over the other"
    assert text.render([("two", "FOOD\nDrinks", 4.0, "zone")]).png == text.render(
        [("two", "FOOD\nDrinks", 4.0, "zone")]).png, "deterministic"


def test_without_a_cjk_font_the_english_line_is_what_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "find_font", lambda: text.FontChoice(None, False))
    assert text.drawable_text("식품\nFood", "zone:식품") == "Food"
    assert text.drawable_text("식품", "zone:식품") == "zone:식품"
