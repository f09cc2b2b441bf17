"""The shared material palette: a few dozen PBR materials, warm festival colours, one per category.

Materials are referenced by name; the GLB writer adds only those a scene uses, in first-use order, so the
output stays deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Material:
    """A metallic-roughness material; ``texture`` names an image the build registers under that key."""

    name: str
    color: tuple[float, float, float, float]
    metallic: float = 0.0
    roughness: float = 0.8
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    blend: bool = False
    double_sided: bool = False
    unlit: bool = False
    texture: str | None = None
    vertex_colors: bool = False


def _hex(code: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """sRGB hex → linear RGBA, since glTF base colour factors are linear."""
    rgb = [int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return (round(lin[0], 4), round(lin[1], 4), round(lin[2], 4), alpha)


_BASE = [
    Material("floor_wood", _hex("#b07a4a"), roughness=0.7),
    Material("floor_tile", _hex("#e9dfcf"), roughness=0.5),
    Material("floor_stone", _hex("#a89a86"), roughness=0.9),
    Material("floor_plaza", _hex("#d9b98c"), roughness=0.9),
    Material("wall", _hex("#f6ead8"), roughness=0.9),
    Material("wall_accent", _hex("#c8553d"), roughness=0.8),
    Material("ceiling", _hex("#fbf5ec"), roughness=0.95),
    Material("fixture_wood", _hex("#c18a5a"), roughness=0.6),
    Material("fixture_panel", _hex("#f2e4cc"), roughness=0.7),
    Material("fixture_metal", _hex("#8d8478"), metallic=0.8, roughness=0.35),
    Material("fridge_body", _hex("#eef2f3"), metallic=0.2, roughness=0.4),
    Material("glass", _hex("#cfe8f0", 0.25), roughness=0.05, blend=True, double_sided=True),
    Material("counter_top", _hex("#7a4a2b"), roughness=0.5),
    Material("awning_red", _hex("#d7263d"), roughness=0.8, double_sided=True),
    Material("awning_white", _hex("#fff4e0"), roughness=0.8, double_sided=True),
    Material("light_strip", _hex("#fff1c1"), emissive=(1.0, 0.85, 0.55)),
    Material("portal_glow", _hex("#ffb347"), emissive=(1.0, 0.55, 0.15), roughness=0.4),
    Material("portal_veil", _hex("#ffd27f", 0.35), emissive=(0.9, 0.5, 0.2), blend=True, double_sided=True),
    Material("sign", (1.0, 1.0, 1.0, 1.0), unlit=True, double_sided=True, texture="signs"),
    Material("baked", (1.0, 1.0, 1.0, 1.0), roughness=0.7, vertex_colors=True),
    Material("model", (1.0, 1.0, 1.0, 1.0), roughness=0.6, vertex_colors=True),
]

# Warm sale-festival colours: red, orange, gold, jade, plum... (sRGB hex, converted to linear above).
CATEGORY_COLORS: list[str] = [
    "#e4572e", "#f3a712", "#ffc914", "#76b041", "#2e86ab", "#a23b72", "#f18f01", "#c73e1d",
    "#3bb273", "#e15554", "#7768ae", "#ff7f51", "#d4a373", "#ef476f", "#06a77d", "#f9c80e",
]
PALETTE: dict[str, Material] = {m.name: m for m in _BASE}
for _i, _code in enumerate(CATEGORY_COLORS):
    PALETTE[f"category_{_i:02d}"] = Material(f"category_{_i:02d}", _hex(_code), roughness=0.55)


def category_material(category: str) -> str:
    """The palette material for a category; a stable hash so the colour never depends on catalog order."""
    digest = hashlib.sha256(category.strip().lower().encode("utf-8")).digest()
    return f"category_{digest[0] % len(CATEGORY_COLORS):02d}"


def color8(material: str) -> tuple[int, int, int, int]:
    """A palette material's colour as 8-bit RGBA (vertex colours are linear in glTF, like factors)."""
    r, g, b, a = PALETTE[material].color
    return (round(r * 255), round(g * 255), round(b * 255), round(a * 255))


def texture_material(key: str) -> Material:
    """A textured, lit material for an atlas page (product image cards)."""
    return Material(f"atlas:{key}", (1.0, 1.0, 1.0, 1.0), roughness=0.6, texture=key)
