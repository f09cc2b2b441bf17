"""Where a shopper's head may be in a store, in the pose frames' int16 centimetres (pure: from the manifest).

The builder's manifest (``storefront_builder/build_steps/output.py``) describes the floor a client may walk on
as ``walkable`` rectangles ``[x0, z0, x1, z1]`` and the room as ``bounds {min, max}`` (floor to ceiling). The
web client never walks off those rectangles, so a head outside their box is a broken or hostile client: the
room clamps it onto the box before anyone else sees it (the box, not the rectangles, keeps the check to six
comparisons per pose).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

INT16_CM: Final = 32767  # the widest a pose frame can say (±327.67 m)


@dataclass(frozen=True, slots=True)
class Bounds:
    """An axis-aligned box, centimetres, corners included."""

    lo: tuple[int, int, int]
    hi: tuple[int, int, int]


EVERYWHERE: Final = Bounds((-INT16_CM,) * 3, (INT16_CM,) * 3)  # a store whose scene says nothing usable


def bounds_from_manifest(manifest: Mapping[str, Any]) -> Bounds | None:
    """x and z: the box around the ``walkable`` rectangles (else the room's ``bounds``); y: the room's floor to
    its ceiling. ``None`` when the manifest gives no usable room box (an old or foreign format)."""
    try:
        room = manifest["bounds"]
        (x_lo, y_lo, z_lo), (x_hi, y_hi, z_hi) = (_floats(room["min"], 3), _floats(room["max"], 3))
        rects = [_floats(r, 4) for r in manifest.get("walkable") or ()]
    except (KeyError, TypeError, ValueError):
        return None
    if rects:
        x_lo, z_lo = min(r[0] for r in rects), min(r[1] for r in rects)
        x_hi, z_hi = max(r[2] for r in rects), max(r[3] for r in rects)
    lo, hi = (_cm(x_lo), _cm(y_lo), _cm(z_lo)), (_cm(x_hi), _cm(y_hi), _cm(z_hi))
    if any(a > b for a, b in zip(lo, hi, strict=True)):
        return None
    return Bounds(lo, hi)


def _floats(value: Any, n: int) -> tuple[float, ...]:
    out = tuple(float(v) for v in value)
    if len(out) != n or any(v != v or abs(v) > 1e6 for v in out):  # NaN or absurd: not a store
        raise ValueError("not a box")
    return out


def _cm(metres: float) -> int:
    return max(-INT16_CM, min(INT16_CM, round(metres * 100.0)))
