"""Step ``fixtures``: identical fixtures become instanced groups; the odd ones out are baked together.

Fixtures are identical when type, size (to the centimetre) and board heights match. The most repeated
groups are instanced while the draw-call budget lasts; every other fixture is transformed into one shared
static mesh (one primitive per material), so any number of distinct fixtures costs a bounded number of draws.
"""

from __future__ import annotations

from collections import defaultdict

from storefront_builder.build_steps.context import FIXTURE_BUDGET, BuildContext
from storefront_builder.geometry.fixtures import Parts, even_boards, fixture_parts, place
from storefront_builder.geometry.mesh import MeshData, merge
from storefront_builder.plan import PlacedFixture

# Draw calls kept back for the baked remainder (at most one per fixture material).
_BAKED_RESERVE = 10

Key = tuple[str, float, float, float, tuple[float, ...]]


def _boards_by_fixture(ctx: BuildContext) -> dict[str, set[float]]:
    tops: dict[str, set[float]] = defaultdict(set)
    heights = {f.id: f.position[1] for f in ctx.plan.fixtures}
    for p in ctx.plan.products:
        if p.fixture_id in heights:
            tops[p.fixture_id].add(round(p.position[1] - heights[p.fixture_id], 2))
    return tops


def _key(f: PlacedFixture, tops: set[float]) -> Key:
    boards = tuple(sorted(tops)) if tops else even_boards(f.size[1], f.levels)
    return (f.type, round(f.size[0], 2), round(f.size[1], 2), round(f.size[2], 2), boards)


def fixtures(ctx: BuildContext) -> None:
    """Emit every placed fixture, instanced where it repeats."""
    if not ctx.plan.fixtures:
        return
    tops = _boards_by_fixture(ctx)
    groups: dict[Key, list[PlacedFixture]] = defaultdict(list)
    for f in ctx.plan.fixtures:
        groups[_key(f, tops.get(f.id, set()))].append(f)
    parent = ctx.group("fixtures")
    used = 0
    baked: Parts = defaultdict(list)
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), repr(kv[0]))):
        kind, w, h, d, boards = key
        parts = fixture_parts(members[0].type, (w, h, d), boards)
        if len(members) >= 2 and used + len(parts) <= FIXTURE_BUDGET - _BAKED_RESERVE:
            merged: dict[str, MeshData] = {mat: merge(meshes) for mat, meshes in parts.items()}
            ids = [m.id for m in members]
            ctx.emit_instanced(
                f"fixtures:{kind}:{ids[0]}", merged, parent=parent,
                translations=[m.position for m in members], yaw_deg=[m.rotation_y for m in members],
                extras={"vrstore": {"fixtures": ids}},
            )
            used += len(parts)
            continue
        for m in members:
            for mat, meshes in place(parts, m.position, m.rotation_y).items():
                baked[mat].extend(meshes)
    if baked:
        ctx.emit("fixtures:static", baked, parent=parent)
