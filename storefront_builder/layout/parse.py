"""Reading a layout file (YAML or JSON) and checking that its parts fit together.

Every problem is a ``LayoutError`` whose ``loc`` points at the bad field, e.g. ``('fixtures', 3, 'size')``,
and whose ``errors`` lists all the problems found as ``{"loc": [...], "msg": ...}``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import ValidationError

from storefront_builder.errors import LayoutError
from storefront_builder.layout import geometry
from storefront_builder.layout.models import Layout

MAX_LAYOUT_BYTES = 1_000_000
# YAML aliases can make a small file expand into a huge tree ("billion laughs"); count nodes as we walk.
MAX_NODES = 500_000
MAX_ERRORS = 50
ENTRANCE_CLEAR = 1.0  # metres in front of the entrance gap that must stay free of fixtures

Loc = tuple[str | int, ...]


def _fail(problems: list[tuple[Loc, str]]) -> LayoutError:
    loc, msg = problems[0]
    where = ".".join(str(part) for part in loc)
    message = f"{where}: {msg}" if where else msg
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s))"
    return LayoutError(message, loc=loc, errors=[{"loc": list(p_loc), "msg": p_msg} for p_loc, p_msg in problems])


def _decode(text: str | bytes) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_LAYOUT_BYTES:
            raise LayoutError(f"layout is larger than {MAX_LAYOUT_BYTES} bytes")
        try:
            return text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LayoutError(f"layout is not UTF-8 (byte {exc.start})") from exc
    if len(text) > MAX_LAYOUT_BYTES:
        raise LayoutError(f"layout is larger than {MAX_LAYOUT_BYTES} characters")
    return text.removeprefix("\ufeff")


def _count_nodes(data: Any) -> None:
    seen = 0
    stack = [data]
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise LayoutError(f"layout expands to more than {MAX_NODES} values (too many YAML aliases?)")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _load(text: str, fmt: Literal["yaml", "json"] | None) -> Any:
    if fmt is None:
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    try:
        if fmt == "json":
            return json.loads(text)
        # safe_load only: a layout is data, and python/object tags would run code.
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise LayoutError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise LayoutError(f"invalid YAML{where}: {problem}") from exc
    except RecursionError as exc:
        raise LayoutError("layout is nested too deeply") from exc


def parse_layout(text: str | bytes, *, format: Literal["yaml", "json"] | None = None) -> Layout:
    """Parse and fully check a layout file; ``format`` None guesses from the first character.

    Raises ``LayoutError`` (with ``loc`` and ``errors``) for unreadable text, a bad field or parts that do
    not fit together (see ``check_layout``).
    """
    data = _load(_decode(text), format)
    if not isinstance(data, dict):
        raise LayoutError("a layout must be a mapping with 'version', 'kind', 'floor', ...")
    _count_nodes(data)
    try:
        layout = Layout.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[Loc, str]] = [(tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        raise _fail(problems[:MAX_ERRORS]) from None
    check_layout(layout)
    return layout


def _fixture_corners(layout: Layout) -> geometry.FloatArray:
    if not layout.fixtures:
        return np.zeros((0, 4, 2))
    centres = np.array([f.position for f in layout.fixtures], dtype=np.float64)
    halves = np.array([(f.size[0] / 2, f.size[2] / 2) for f in layout.fixtures], dtype=np.float64)
    rotations = np.array([f.rotation for f in layout.fixtures], dtype=np.float64)
    return geometry.corners(centres, halves, rotations)


def _inside(x: float, z: float, layout: Layout, eps: float = 1e-6) -> bool:
    return abs(x) <= layout.floor.width / 2 + eps and abs(z) <= layout.floor.depth / 2 + eps


def _check_ids(layout: Layout, problems: list[tuple[Loc, str]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for index, fixture in enumerate(layout.fixtures):
        if fixture.id in ids:
            problems.append((("fixtures", index, "id"), f"duplicate fixture id {fixture.id!r}"))
        ids.setdefault(fixture.id, index)
    zone_names: dict[str, int] = {}
    owner: dict[str, str] = {}
    for z_index, zone in enumerate(layout.zones):
        if zone.name in zone_names:
            problems.append((("zones", z_index, "name"), f"duplicate zone name {zone.name!r}"))
        zone_names.setdefault(zone.name, z_index)
        for f_index, fixture_id in enumerate(zone.fixtures):
            loc: Loc = ("zones", z_index, "fixtures", f_index)
            if fixture_id not in ids:
                problems.append((loc, f"no fixture has id {fixture_id!r}"))
            elif owner.setdefault(fixture_id, zone.name) != zone.name:
                problems.append((loc, f"fixture {fixture_id!r} is already in zone {owner[fixture_id]!r}"))
    for index, fixture in enumerate(layout.fixtures):
        if fixture.zone is None:
            continue
        if fixture.zone not in zone_names:
            problems.append((("fixtures", index, "zone"), f"no zone is named {fixture.zone!r}"))
        elif owner.setdefault(fixture.id, fixture.zone) != fixture.zone:
            problems.append((("fixtures", index, "zone"), f"the fixture is listed in zone {owner[fixture.id]!r}"))
    seen_portals: set[str] = set()
    for index, portal in enumerate(layout.portals):
        if portal.id in seen_portals:
            problems.append((("portals", index, "id"), f"duplicate portal id {portal.id!r}"))
        seen_portals.add(portal.id)
    return ids


def check_layout(layout: Layout) -> None:
    """Check what single fields cannot: things inside the floor, no overlaps, ids that resolve.

    Raises ``LayoutError`` listing every problem (up to 50); returns None when the layout is sound.
    """
    problems: list[tuple[Loc, str]] = []
    half_w, half_d = layout.floor.width / 2, layout.floor.depth / 2
    entrance = layout.entrance
    if entrance.width > layout.floor.width + 1e-9:
        problems.append((("entrance", "width"), "the entrance is wider than the floor"))
    elif abs(entrance.centre_x) + entrance.width / 2 > half_w + 1e-9:
        problems.append((("entrance", "x"), "the entrance gap does not fit in the +Z wall"))
    _check_ids(layout, problems)
    corner_array = _fixture_corners(layout)
    for index, fixture in enumerate(layout.fixtures):
        quad = corner_array[index]
        if np.any(np.abs(quad[:, 0]) > half_w + 1e-6) or np.any(np.abs(quad[:, 1]) > half_d + 1e-6):
            problems.append((("fixtures", index, "position"), f"fixture {fixture.id!r} sticks out of the floor"))
        if fixture.size[1] > layout.wall_height + 1e-9:
            problems.append((("fixtures", index, "size"), "the fixture is taller than the walls"))
    for i, j in geometry.overlapping_pairs(corner_array, limit=MAX_ERRORS):
        problems.append(
            (("fixtures", j, "position"), f"fixture {layout.fixtures[j].id!r} overlaps {layout.fixtures[i].id!r}")
        )
    if len(corner_array):
        # The strip just inside the entrance must stay free, or nobody can walk in.
        gap = np.array([[[entrance.centre_x - entrance.width / 2, half_d - ENTRANCE_CLEAR],
                         [entrance.centre_x + entrance.width / 2, half_d - ENTRANCE_CLEAR],
                         [entrance.centre_x + entrance.width / 2, half_d],
                         [entrance.centre_x - entrance.width / 2, half_d]]])
        for i, j in geometry.overlapping_pairs(np.concatenate([gap, corner_array]), limit=MAX_ERRORS):
            if i == 0:
                problems.append((("fixtures", j - 1, "position"), "the fixture blocks the entrance"))
    boxes = geometry.bounds(corner_array) if len(corner_array) else np.zeros((0, 4))
    for index, spawn in enumerate(layout.spawn_points):
        x, z = spawn.position
        if not _inside(x, z, layout):
            problems.append((("spawn_points", index, "position"), "the spawn point is outside the floor"))
            continue
        candidates = np.flatnonzero((boxes[:, 0] <= x) & (boxes[:, 2] >= x) & (boxes[:, 1] <= z) & (boxes[:, 3] >= z))
        for candidate in candidates:
            if not geometry.separated(corner_array[candidate], np.array([[x, z]] * 4)):
                fixture_id = layout.fixtures[int(candidate)].id
                problems.append((("spawn_points", index, "position"), f"the spawn point is inside {fixture_id!r}"))
                break
    for index, portal in enumerate(layout.portals):
        if not _inside(*portal.position, layout):
            problems.append((("portals", index, "position"), "the portal is outside the floor"))
    for index, sign in enumerate(layout.signage):
        if not _inside(sign.position[0], sign.position[2], layout):
            problems.append((("signage", index, "position"), "the sign is outside the floor"))
        elif sign.position[1] > layout.wall_height:
            problems.append((("signage", index, "position"), "the sign is above the walls"))
    if problems:
        raise _fail(problems[:MAX_ERRORS])
