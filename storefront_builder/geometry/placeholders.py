"""Unit-sized placeholder products, one per ``PlaceholderShape``, and the unit image card.

Products without a model or image are drawn with the built-in kit (``geometry/kit_models.py``); these slabs are
what they fall back to when the kit cannot be read, and the card is what product images are pasted on.
Each fits the box x, z ∈ [-0.5, 0.5], y ∈ [0, 1] with its bottom at y = 0, so an instance's scale is simply
the product's slot size. Every shape stays under ~200 triangles because thousands are drawn per frame.
"""

from __future__ import annotations

from functools import cache

from storefront_builder.geometry.mesh import MeshData, box_between, lathe, merge, transform, trs_matrix
from storefront_builder.plan import PlaceholderShape

SEGMENTS = 12


def _bottle() -> MeshData:
    return lathe([(0.42, 0.0), (0.46, 0.04), (0.46, 0.55), (0.3, 0.7), (0.15, 0.78),
                  (0.15, 0.92), (0.17, 0.93), (0.17, 1.0)], SEGMENTS)


def _jar() -> MeshData:
    body = lathe([(0.4, 0.0), (0.48, 0.06), (0.48, 0.72), (0.38, 0.8)], SEGMENTS, cap_top=True)
    lid = lathe([(0.4, 0.8), (0.4, 1.0)], SEGMENTS)
    return merge([body, lid])


def _can() -> MeshData:
    return lathe([(0.44, 0.0), (0.5, 0.05), (0.5, 0.95), (0.44, 1.0)], SEGMENTS)


def _folded_garment() -> MeshData:
    # A folded shirt: a flat body with a raised collar band and a fold line, all boxes.
    return merge([
        box_between((-0.5, 0.0, -0.5), (0.5, 0.8, 0.5)),
        box_between((-0.48, 0.8, -0.48), (0.48, 0.9, 0.0)),
        box_between((-0.2, 0.8, 0.1), (0.2, 1.0, 0.35)),
        box_between((-0.45, 0.8, 0.38), (0.45, 0.86, 0.48)),
    ])


def _shoe_box() -> MeshData:
    return merge([
        box_between((-0.48, 0.0, -0.48), (0.48, 0.82, 0.48)),
        box_between((-0.5, 0.8, -0.5), (0.5, 1.0, 0.5)),
    ])


def _fruit_crate() -> MeshData:
    slats = [
        box_between((-0.5, 0.0, -0.5), (0.5, 0.08, 0.5)),
        box_between((-0.5, 0.08, -0.5), (-0.44, 0.55, 0.5)),
        box_between((0.44, 0.08, -0.5), (0.5, 0.55, 0.5)),
        box_between((-0.44, 0.08, -0.5), (0.44, 0.55, -0.44)),
        box_between((-0.44, 0.08, 0.44), (0.44, 0.55, 0.5)),
    ]
    fruit = lathe([(0.0, 0.0), (0.2, 0.1), (0.2, 0.3), (0.0, 0.4)], 6)
    spots = [(-0.2, 0.3, -0.2), (0.2, 0.3, -0.2), (-0.2, 0.3, 0.2), (0.2, 0.3, 0.2), (0.0, 0.58, 0.0)]
    return merge([*slats, *(transform(fruit, trs_matrix(p)) for p in spots)])


def _bag() -> MeshData:
    body = box_between((-0.5, 0.0, -0.3), (0.5, 0.75, 0.3))
    handle = [
        box_between((-0.3, 0.75, -0.04), (-0.24, 1.0, 0.04)),
        box_between((0.24, 0.75, -0.04), (0.3, 1.0, 0.04)),
        box_between((-0.3, 0.94, -0.04), (0.3, 1.0, 0.04)),
    ]
    return merge([body, *handle])


def _box() -> MeshData:
    return box_between((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5))


_SHAPES = {
    "box": _box, "bottle": _bottle, "jar": _jar, "folded_garment": _folded_garment,
    "shoe_box": _shoe_box, "fruit_crate": _fruit_crate, "can": _can, "bag": _bag,
}


@cache
def placeholder(shape: PlaceholderShape) -> MeshData:
    """The unit mesh for a placeholder shape (cached: every build shares the same arrays)."""
    return _SHAPES[shape]()


@cache
def card() -> MeshData:
    """A unit image card: a box whose six faces each map UVs 0..1 (the atlas cell), bottom at y = 0."""
    return _box()
