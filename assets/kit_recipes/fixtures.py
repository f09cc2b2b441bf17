"""The kit's fixture pieces: standard-size copies of the store builder's own fixture and sign designs.

The builder draws fixtures procedurally at whatever size a layout gives them; these pieces are the same designs at
one standard size, for previews, custom scenes and merchants. One design lives in one place: every fixture piece
is ``fixture_parts(kind, size, even_boards(...))`` from ``storefront_builder/geometry/fixtures.py``, and the sign
pieces are the builder's sign board (``BOARD_DEPTH`` thick, a style of ``storefront_builder/geometry/signage.py``)
without text, since the text is each store's own. Materials are the builder's palette
(``storefront_builder/geometry/materials.py``); the blank sign boards take their style's board and border colours.

Convention (real size, not unit size): metres, the nominal footprint centred on X and Z (a stall's awning and a
gondola's light strip overhang it, as in the builder), floor at y = 0 (a hanging sign: its board's bottom edge),
front towards +Z.
"""

from __future__ import annotations

from dataclasses import dataclass

from storefront_builder.build_steps.signage import BOARD_DEPTH
from storefront_builder.geometry.fixtures import Parts, even_boards, fixture_parts
from storefront_builder.geometry.materials import PALETTE, Material
from storefront_builder.geometry.mesh import MeshData, box_between
from storefront_builder.geometry.signage import STYLES
from storefront_builder.kit_colors import linear8
from storefront_builder.plan import FixtureType

BORDER = 0.03  # width of a blank board's border strip (the text atlas draws one in the text colour)
ROD = 0.012  # half-width of a hanging sign's rods and a standing sign's posts


@dataclass(frozen=True)
class Piece:
    """One fixture piece: a builder fixture type at a standard size (w, h, d) with evenly spaced boards."""

    name: str
    ko: str
    en: str
    kind: FixtureType
    size: tuple[float, float, float]
    levels: int
    base: float = 0.1

    @property
    def boards(self) -> tuple[float, ...]:
        return even_boards(self.size[1], self.levels, base=self.base)

    def build(self) -> Parts:
        return fixture_parts(self.kind, self.size, self.boards)

    @property
    def footprint(self) -> list[float]:
        return [self.size[0], self.size[2]]

    @property
    def made(self) -> str:
        return (f"storefront_builder/geometry/fixtures.py fixture_parts({self.kind!r}, {list(self.size)}, "
                f"even_boards({self.size[1]}, {self.levels}, base={self.base}) = {list(self.boards)})")


@dataclass(frozen=True)
class SignPiece:
    """A blank sign board of the builder's ``style``, ``size`` (w, h), hung on rods or standing on posts."""

    name: str
    ko: str
    en: str
    style: str
    size: tuple[float, float]
    standing: bool

    def build(self) -> Parts:
        w, h = self.size
        hx, hz = w / 2, BOARD_DEPTH / 2
        # Standing: the board on two posts from a floor plate; hanging: the board's bottom edge at y = 0.
        y0 = 0.9 if self.standing else 0.0
        board = [box_between((-hx, y0, -hz), (hx, y0 + h, hz))]
        border = []
        for z0, z1 in ((hz, hz + 0.004), (-hz - 0.004, -hz)):  # both faces, like the builder's two-sided boards
            border += [box_between((-hx, y0, z0), (hx, y0 + BORDER, z1)),
                       box_between((-hx, y0 + h - BORDER, z0), (hx, y0 + h, z1)),
                       box_between((-hx, y0 + BORDER, z0), (-hx + BORDER, y0 + h - BORDER, z1)),
                       box_between((hx - BORDER, y0 + BORDER, z0), (hx, y0 + h - BORDER, z1))]
        post_x = hx - 0.1
        if self.standing:
            metal = [box_between((x - ROD, 0.02, -ROD), (x + ROD, y0 + h, ROD)) for x in (-post_x, post_x)]
            metal.append(box_between((-hx, 0.0, -0.2), (hx, 0.02, 0.2)))  # floor plate
        else:
            metal = [box_between((x - ROD / 2, y0 + h, -ROD / 2), (x + ROD / 2, y0 + h + 0.5, ROD / 2))
                     for x in (-post_x, post_x)]
        return {f"sign_{self.style}": board, f"sign_{self.style}_border": border, "fixture_metal": metal}

    @property
    def footprint(self) -> list[float]:
        return [self.size[0], 0.4 if self.standing else BOARD_DEPTH]

    @property
    def made(self) -> str:
        how = "on two posts from a floor plate" if self.standing else "on two 0.5 m rods (hang it by their tops)"
        return (f"the builder's sign board (storefront_builder/build_steps/signage.py, {BOARD_DEPTH} m thick) in "
                f"the {self.style!r} style of storefront_builder/geometry/signage.py, blank, with a border, {how}")


PIECES: list[Piece | SignPiece] = [
    Piece("wall_shelf", "벽 선반", "wall shelf, 1.2 m, 4 boards", "shelf", (1.2, 1.8, 0.45), 4),
    Piece("gondola", "곤돌라 진열대", "two-sided gondola, 1.2 m", "gondola", (1.2, 1.5, 0.9), 4),
    Piece("clothing_rack", "옷걸이 행거", "clothing rack with a base board", "rack", (1.5, 1.7, 0.5), 1),
    Piece("market_stall", "시장 좌판", "market stall with a striped awning", "stall", (2.0, 2.2, 1.0), 1, 0.85),
    Piece("display_table", "진열 테이블", "display table", "table", (1.6, 0.8, 0.9), 1, 0.8),
    Piece("display_case", "유리 진열장", "glass display case", "display_case", (1.5, 1.2, 0.6), 2, 0.5),
    Piece("counter", "계산대", "checkout counter", "counter", (1.6, 1.0, 0.6), 1, 0.9),
    Piece("fridge", "음료 냉장고", "drinks fridge", "fridge", (1.2, 2.0, 0.7), 5),
    SignPiece("hanging_sign", "매달린 구역 간판", "hanging zone sign board", "zone", (2.4, 0.5), standing=False),
    SignPiece("standing_sign", "세움 간판", "standing sign", "store", (0.9, 0.6), standing=True),
]


def _linear(rgb: tuple[int, int, int]) -> tuple[float, float, float, float]:
    """sRGB bytes → linear RGBA factors (glTF factors are linear), through the kit's one conversion."""
    r, g, b, _a = linear8(rgb)
    return (round(r / 255, 4), round(g / 255, 4), round(b / 255, 4), 1.0)


def material(name: str) -> Material:
    """The palette material ``name``, or a blank sign board's colour (``sign_<style>`` / ``sign_<style>_border``)."""
    if name in PALETTE:
        return PALETTE[name]
    style = STYLES[name.removeprefix("sign_").removesuffix("_border")]
    return Material(name, _linear(style.text if name.endswith("_border") else style.background), roughness=0.8)


def meshes(parts: Parts) -> list[tuple[str, list[MeshData]]]:
    """The parts in a fixed order (the builder's own insertion order), empty materials dropped."""
    return [(name, items) for name, items in parts.items() if items]
