"""Layout files: valid YAML and JSON, each kind of bad field with its loc, and the checks across fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storefront_builder.errors import BuilderError, LayoutError
from storefront_builder.layout import Layout, check_layout, parse_layout

VALID_YAML = """
version: 1
kind: convenience_store
name: 편의점
floor: {width: 10, depth: 8}
wall_height: 3
entrance: {width: 2}
spawn_points:
  - {position: [0, 3.5], rotation: 0}
fixtures:
  - {type: shelf, position: [-2, 0], size: [2, 1.8, 0.5], levels: 4}
  - {id: fridge-1, type: fridge, position: [2, -3], rotation: 0, size: [1.2, 2, 0.7], zone: 음료}
  - {type: gondola, position: [2, 0], rotation: 90, size: [2.4, 1.6, 1.0]}
zones:
  - {name: 음료, categories: [음료, beverages], fixtures: [fridge-1]}
  - {name: 식품, categories: [식품/과자], fixtures: [F1, F3]}
signage:
  - {text: 편의점, position: [0, 2.5, 2], size: [3, 0.5]}
portals:
  - {id: out, target: plaza, label: 광장, position: [-4, 3], rotation: 180}
"""


def base() -> dict[str, Any]:
    """The valid layout as a dict, to break one field at a time."""
    data: dict[str, Any] = json.loads(json.dumps(parse_layout(VALID_YAML).model_dump(mode="json")))
    return data


def loc_of(data: dict[str, Any] | str) -> tuple[str | int, ...]:
    with pytest.raises(LayoutError) as info:
        parse_layout(data if isinstance(data, str) else json.dumps(data), format=None)
    assert info.value.errors, "errors lists every problem"
    assert list(info.value.loc) == info.value.errors[0]["loc"]
    return info.value.loc


def test_valid_yaml_parses_and_fills_ids() -> None:
    layout = parse_layout(VALID_YAML)
    assert isinstance(layout, Layout)
    assert [f.id for f in layout.fixtures] == ["F1", "fridge-1", "F3"]
    assert layout.fixtures[0].levels == 4 and layout.fixtures[2].levels is None
    assert layout.name == "편의점" and layout.entrance.centre_x == 0.0


def test_json_and_bytes_round_trip() -> None:
    layout = parse_layout(VALID_YAML.encode("utf-8"), format="yaml")
    again = parse_layout(layout.model_dump_json().encode(), format="json")
    assert again == layout
    assert parse_layout("\ufeff" + layout.model_dump_json()) == layout


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("fixtures", 2, "size"), [2.4, -1, 1.0], ("fixtures", 2, "size", 1)),
        (("fixtures", 0, "type"), "sofa", ("fixtures", 0, "type")),
        (("fixtures", 1, "position"), [1, 2, 3], ("fixtures", 1, "position")),
        (("fixtures", 0, "levels"), 40, ("fixtures", 0, "levels")),
        (("floor", "width"), 0, ("floor", "width")),
        (("kind",), "casino", ("kind",)),
        (("version",), 2, ("version",)),
        (("spawn_points", 0, "position"), ["a", 1], ("spawn_points", 0, "position", 0)),
        (("portals", 0, "target"), "Not A Slug", ("portals", 0, "target")),
        (("signage", 0, "text"), "", ("signage", 0, "text")),
        (("fixtures", 0, "rotation"), float("nan"), ("fixtures", 0, "rotation")),
    ],
)
def test_bad_field_points_at_it(path: tuple[str | int, ...], value: Any, expected: tuple[str | int, ...]) -> None:
    data = base()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert loc_of(data) == expected


def test_unknown_key_is_reported() -> None:
    data = base()
    data["fixtures"][1]["positon"] = [0, 0]
    assert loc_of(data) == ("fixtures", 1, "positon")


def test_all_validation_errors_are_exposed() -> None:
    data = base()
    data["fixtures"][0]["type"] = "sofa"
    data["floor"]["depth"] = -1
    with pytest.raises(LayoutError) as info:
        parse_layout(json.dumps(data))
    locs: set[tuple[Any, ...]] = {tuple(error["loc"]) for error in info.value.errors}  # type: ignore[arg-type]
    assert {("fixtures", 0, "type"), ("floor", "depth")} <= locs
    assert "more problem" in str(info.value)
    assert isinstance(info.value, BuilderError)


def test_fixture_outside_the_floor() -> None:
    data = base()
    data["fixtures"][0]["position"] = [-4.5, 0]  # a 2 m shelf centred 0.5 m from the wall
    assert loc_of(data) == ("fixtures", 0, "position")


def test_rotation_counts_for_the_floor_check() -> None:
    data = base()
    # 2.4 m wide along X does not fit at x = 4.2, but rotated 90° it is 1 m wide along X.
    data["fixtures"][2]["position"] = [4.4, 0]
    check_layout(Layout.model_validate(data))
    data["fixtures"][2]["rotation"] = 0
    assert loc_of(data) == ("fixtures", 2, "position")


def test_overlapping_fixtures() -> None:
    data = base()
    data["fixtures"][0]["position"] = [1.0, 0]  # runs into the rotated gondola at x = 2
    with pytest.raises(LayoutError) as info:
        parse_layout(json.dumps(data))
    assert info.value.loc == ("fixtures", 2, "position")
    assert "overlaps 'F1'" in str(info.value)


def test_rotated_rectangles_that_only_look_close_do_not_overlap() -> None:
    data = base()
    data["fixtures"] = [
        {"type": "shelf", "position": [0, 0], "rotation": 45, "size": [2, 1, 0.2]},
        # Bounding boxes overlap, the rotated shelves do not.
        {"type": "shelf", "position": [0.4, 0.4], "rotation": 45, "size": [2, 1, 0.2]},
    ]
    data["zones"] = []
    assert parse_layout(json.dumps(data)).fixtures[1].id == "F2"
    data["fixtures"][1]["position"] = [0.05, 0.05]
    assert loc_of(data) == ("fixtures", 1, "position")


def test_touching_fixtures_are_fine() -> None:
    data = base()
    data["fixtures"] = [
        {"type": "gondola", "position": [-1.2, 0], "size": [2.4, 1.6, 1.0]},
        {"type": "gondola", "position": [1.2, 0], "size": [2.4, 1.6, 1.0]},
    ]
    data["zones"] = []
    assert len(parse_layout(json.dumps(data)).fixtures) == 2


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["zones"][0]["fixtures"].append("nope"), ("zones", 0, "fixtures", 1)),
        (lambda d: d["zones"][1]["fixtures"].append("fridge-1"), ("zones", 1, "fixtures", 2)),
        (lambda d: d["zones"].append({"name": "음료"}), ("zones", 2, "name")),
        (lambda d: d["fixtures"][0].update(zone="없는 구역"), ("fixtures", 0, "zone")),
        (lambda d: d["fixtures"][0].update(id="fridge-1"), ("fixtures", 1, "id")),
        (lambda d: d["spawn_points"].append({"position": [-2, 0]}), ("spawn_points", 1, "position")),
        (lambda d: d["spawn_points"].append({"position": [0, 9]}), ("spawn_points", 1, "position")),
        (lambda d: d["portals"][0].update(position=[6, 0]), ("portals", 0, "position")),
        (lambda d: d["portals"].append(dict(d["portals"][0])), ("portals", 1, "id")),
        (lambda d: d["signage"][0].update(position=[0, 5, 0]), ("signage", 0, "position")),
        (lambda d: d["entrance"].update(width=11), ("entrance", "width")),
        (lambda d: d["entrance"].update(x=4.5), ("entrance", "x")),
        (lambda d: d["fixtures"][0].update(size=[2, 3.5, 0.5]), ("fixtures", 0, "size")),
        (lambda d: d["fixtures"][0].update(position=[0, 3.5]), ("fixtures", 0, "position")),
    ],
    ids=["zone-unknown-fixture", "fixture-in-two-zones", "duplicate-zone", "unknown-zone", "duplicate-id",
         "spawn-in-fixture", "spawn-outside", "portal-outside", "duplicate-portal", "sign-above-walls",
         "entrance-too-wide", "entrance-off-wall", "taller-than-walls", "blocks-entrance"],
)
def test_semantic_problems_point_at_the_field(mutate: Any, expected: tuple[str | int, ...]) -> None:
    data = base()
    mutate(data)
    assert loc_of(data) == expected


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "version: !!python/object/new:builtins.int [1]\nkind: convenience_store",
        "x: !!binary aGVsbG8=\n",
    ],
)
def test_unsafe_or_foreign_yaml_is_rejected(text: str) -> None:
    with pytest.raises(LayoutError):
        parse_layout(text, format="yaml")


def test_yaml_alias_bomb_is_rejected() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 8)]
    with pytest.raises(LayoutError, match="aliases"):
        parse_layout("\n".join(lines), format="yaml")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("version: 1\nkind: [unclosed", "invalid YAML at line 2"),
        ('{"version": 1,', "invalid JSON"),
        ("- just\n- a list", "mapping"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        ("[" * 100_000, "JSON|nested"),
    ],
)
def test_unreadable_text(text: str | bytes, match: str) -> None:
    with pytest.raises(LayoutError, match=match):
        parse_layout(text)


def test_size_and_count_caps() -> None:
    with pytest.raises(LayoutError, match="larger than"):
        parse_layout("#" * 1_000_001)
    data = base()
    data["fixtures"] = [{"type": "shelf", "position": [0, 0], "size": [0.1, 0.1, 0.1]}] * 5001
    data["zones"] = []
    assert loc_of(data) == ("fixtures",)


def test_layout_error_keeps_the_old_constructor() -> None:
    error = LayoutError("bad", loc=("floor", "width"))
    assert error.errors == [{"loc": ["floor", "width"], "msg": "bad"}]
    assert LayoutError("plain").loc == ()


def test_the_documented_example_is_valid() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "LAYOUT-FORMAT.md").read_text("utf-8")
    example = doc.split("## Example", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    layout = parse_layout(example)
    assert [f.id for f in layout.fixtures] == ["G1", "R1", "R2", "C1", "L1"]
