"""Clothing, shoes and bags (centimetres; front +Z; shoes point their toe to +X so a shelf shows their side)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kit_recipes.parts import (
    BLACK,
    BODY,
    DARK,
    GOLD,
    METAL,
    OFF_WHITE,
    WHITE,
    WOOD,
    Array,
    Geo,
    Parts,
    arc,
    cuboid,
    each,
    ellipse,
    extrude,
    revolve,
    rod,
    rounded_rect,
    smoothstep,
    subdivide,
    sweep,
)


def folded_shirt() -> Parts:
    """Folded shirt as shops stack them: a flat tinted body, folded top layer, standing collar with points, buttons."""
    body = cuboid((-15.0, 0.0, -12.5), (15.0, 5.0, 12.5))
    layer = cuboid((-14.0, 5.0, -12.0), (14.0, 6.2, 11.5))
    band = [g.moved((0.0, 0.0, 6.0), s=(1.0, 1.0, 0.72)) for g in revolve([(5.2, 6.2), (5.0, 8.0)], 16,
                                                                             bottom=False, top=False)]
    inner = [g.moved((0.0, 0.0, 6.0), s=(1.0, 1.0, 0.72)) for g in revolve([(4.8, 8.0), (4.8, 6.3)], 16,
                                                                              bottom=False, top=False)]
    neck = [g.moved((0.0, 6.25, 6.0), rx=-90) for g in extrude(ellipse(4.8, 3.4, 16), 0.0, 0.05)]
    points = [g.moved((0.0, 6.2, 0.0)) for side in (-1.0, 1.0)
              for g in _flat([(side * 0.6, 10.0), (side * 5.6, 8.0), (side * 3.2, 11.9)], 0.0, 0.7)]
    placket = cuboid((-1.2, 6.2, -11.0), (1.2, 6.5, 2.6))
    buttons = [cuboid((-0.5, 6.5, z - 0.5), (0.5, 6.75, z + 0.5)) for z in (-8.0, -4.0, 0.0)]
    seams = [cuboid((x - 0.15, 6.2, -12.0), (x + 0.15, 6.28, 11.5)) for x in (-9.0, 9.0)]
    return (each(BODY, [body, layer, *band, *points, placket]) + each(WHITE, buttons)
            + each(DARK, [*inner, *neck, *seams]))


def _flat(outline: Sequence[tuple[float, float]], y0: float, y1: float) -> list[Geo]:
    """An XZ outline (x, z) given a thickness along Y, lying flat."""
    return [g.moved(rx=90).moved((0.0, y0, 0.0)) for g in extrude(outline, -(y1 - y0), 0.0)]


def folded_pants() -> Parts:
    """Folded jeans: a flat tinted body, the waistband with belt loops, pocket seams and a leather patch."""
    body = cuboid((-15.0, 0.0, -11.0), (15.0, 5.0, 11.0))
    fold = cuboid((-14.5, 5.0, -10.0), (14.5, 5.8, 11.0))
    waist = cuboid((-15.2, 4.0, -11.0), (15.2, 6.6, -8.0))
    loops = [cuboid((x - 0.5, 4.0, -11.3), (x + 0.5, 6.8, -10.8)) for x in (-10.0, 0.0, 10.0)]
    pockets = [cuboid((x - 5.0, 5.8, -7.5), (x + 5.0, 6.0, -1.0)) for x in (-7.0, 7.0)]
    patch = cuboid((8.0, 4.4, -11.25), (12.5, 6.2, -11.0))
    button = cuboid((-0.6, 6.6, -9.8), (0.6, 6.9, -8.6))
    return (each(BODY, [body, fold, waist, *loops, *pockets]) + each("#8b5a2b", [patch])
            + each(METAL, [button]) + each("#d9b45a", [cuboid((-15.1, 5.0, -7.9), (15.1, 5.12, -7.7))]))


def _hanger(width: float, top: float) -> Parts:
    """A wooden hanger whose shoulders end at ±width/2, y = top - 6, with a metal hook above."""
    half = width / 2
    arms = rod((-half, top - 6.0, 0.0), (0.0, top, 0.0), 0.8, 6) + rod((half, top - 6.0, 0.0), (0.0, top, 0.0), 0.8, 6)
    hook = sweep(arc((0.0, top + 3.6, 0.0), 2.2, -90, 200, 12), 0.35, up=(0.0, 0.0, 1.0), sides=5)
    stem = rod((0.0, top - 0.2, 0.0), (0.0, top + 1.5, 0.0), 0.35, 5)
    return each(WOOD, arms) + each(METAL, [hook, *stem])


def hanger_garment() -> Parts:
    """T-shirt on a hanger: its outline extruded 3 cm thick and tinted, on a wooden hanger with a metal hook."""
    outline = [(-17.0, 0.0), (17.0, 0.0), (17.0, 44.0), (26.0, 50.0), (22.5, 58.5), (8.5, 64.0), (5.0, 62.0),
               (2.5, 60.6), (0.0, 60.2), (-2.5, 60.6), (-5.0, 62.0), (-8.5, 64.0), (-22.5, 58.5), (-26.0, 50.0),
               (-17.0, 44.0)]
    shirt = extrude(outline, -1.5, 1.5)
    hem = cuboid((-17.05, 0.0, -1.55), (17.05, 1.6, 1.55))
    return each(BODY, [*shirt, hem]) + _hanger(40.0, 64.5)


def coat() -> Parts:
    """Long coat on a hanger: knee-length outline extruded and tinted, dark lapels, a belt and buttons."""
    outline = [(-23.0, 0.0), (23.0, 0.0), (19.5, 55.0), (26.0, 38.0), (30.0, 40.0), (25.0, 88.0), (17.0, 97.0),
               (7.0, 99.0), (0.0, 78.0), (-7.0, 99.0), (-17.0, 97.0), (-25.0, 88.0), (-30.0, 40.0),
               (-26.0, 38.0), (-19.5, 55.0)]
    shell = extrude(outline, -3.0, 3.0)
    lapels = [g for side in (-1.0, 1.0)
              for g in extrude([(0.0, 78.0), (side * 7.0, 99.0), (side * 10.0, 92.0), (side * 5.5, 80.0)],
                               3.0, 3.4)]
    belt = cuboid((-20.2, 50.0, -3.3), (20.2, 54.0, 3.3))
    buttons = [g for y in (62.0, 70.0) for x in (-4.5, 4.5)
               for g in rod((x, y, 3.0), (x, y, 3.6), 1.0, 8)]
    return (each(BODY, [*shell, belt]) + each(DARK, lapels) + each(BLACK, buttons)
            + _hanger(44.0, 99.5))


def hat() -> Parts:
    """Baseball cap: a revolved 12-sided crown, a curved extruded brim to the front and a top button."""
    crown = revolve([(9.5 * float(np.cos(a)), 9.5 * float(np.sin(a))) for a in np.radians([0, 25, 50, 72, 90])],
                    12, bottom=False)
    brim_outline = [(9.0 * float(np.cos(a)), 10.0 * float(np.sin(a))) for a in np.radians(np.linspace(0, 180, 11))]
    brim = [g.moved(rx=90).warped(_brim_curve).moved((0.0, 0.4, 5.6)) for g in extrude(brim_outline, -0.35, 0.35)]
    button = revolve([(0.9, 9.3), (0.7, 9.9)], 8, bottom=False)
    return each(BODY, [*[g.moved(s=(1.0, 1.0, 1.1)) for g in crown], *brim]) + each(DARK, button)


def _brim_curve(v: Array) -> Array:
    v[:, 1] -= 0.02 * v[:, 0] ** 2  # the sides droop
    return v


def _foot_taper(v: Array) -> Array:
    """Narrow an extruded side profile into a foot: at the toe, a little at the heel, towards the top, and round
    both ends seen from above."""
    toe = 1.0 - 0.32 * smoothstep(v[:, 0], 4.0, 14.0)
    heel = 1.0 - 0.12 * smoothstep(-v[:, 0], 8.0, 14.0)
    top = 1.0 - 0.25 * smoothstep(v[:, 1], 4.0, 12.0)
    v[:, 2] *= toe * heel * top * np.sqrt(np.clip(1.0 - (np.abs(v[:, 0]) / 15.2) ** 6, 0.12, 1.0))
    return v


def _shoe(sole: Sequence[tuple[float, float]], upper: Sequence[tuple[float, float]], width: float) -> list[Geo]:
    """Side profiles extruded across the foot and tapered (``_foot_taper``): sole geometry first, then upper."""
    half = width / 2
    geos = [g.warped(_foot_taper) for g in extrude(subdivide(sole, 3.0), -half - 0.3, half + 0.3)]
    geos += [g.warped(_foot_taper) for g in extrude(subdivide(upper, 2.5), -half, half)]
    return geos


def _overlay(outline: Sequence[tuple[float, float]], width: float, centre: tuple[float, float]) -> list[Geo]:
    """A side decoration (toe cap, heel tab, stripe) a hair proud of an upper of ``width``, tapered like it."""
    grown = [(centre[0] + (x - centre[0]) * 1.015, centre[1] + (y - centre[1]) * 1.015) for x, y in outline]
    half = width / 2 + 0.12
    return [g.warped(_foot_taper) for g in extrude(subdivide(grown, 2.0), -half, half)]


def _opening(x0: float, x1: float, y: float, half: float) -> list[Geo]:
    """The dark foot opening seen from above: a thin ellipse lying at height ``y``."""
    outline = ellipse((x1 - x0) / 2, half, 14, ((x0 + x1) / 2, 0.0))
    return _flat(outline, y, y + 0.15)


def _lower(geos: list[Geo], depth: int) -> tuple[list[Geo], list[Geo]]:
    return geos[:depth], geos[depth:]


def sneaker() -> Parts:
    """Canvas sneaker in side view: extruded, tapered sole and upper profiles, white toe cap, heel tab and laces."""
    sole = [(-14.0, 0.0), (13.0, 0.0), (14.6, 1.3), (14.2, 3.0), (-14.2, 3.0), (-14.8, 1.5)]
    upper = [(-14.2, 2.9), (14.2, 2.9), (14.7, 4.2), (13.8, 6.4), (11.2, 8.3), (6.0, 9.7), (1.0, 10.8),
             (-3.2, 12.0), (-4.6, 12.6), (-6.4, 10.8), (-11.0, 11.2), (-13.8, 10.6), (-14.8, 7.5)]
    sole_geo, upper_geo = _lower(_shoe(sole, upper, 9.6), 3)
    cap = _overlay([(9.0, 2.9), (14.2, 2.9), (14.7, 4.2), (13.8, 6.4), (11.2, 8.3), (9.5, 8.0), (8.6, 5.5)], 9.6,
                   (11.5, 5.0))
    tab = _overlay([(-14.2, 2.9), (-10.5, 2.9), (-10.8, 6.5), (-13.6, 10.2), (-14.8, 7.5)], 9.6, (-12.8, 6.0))
    stripe = _overlay([(-9.0, 4.0), (6.0, 4.0), (7.5, 5.6), (-8.0, 6.4)], 9.6, (-1.0, 5.0))
    laces = [cuboid((x - 0.35, y - 0.5, -2.6), (x + 0.35, y + 0.25, 2.6))
             for x in (4.5, 2.8, 1.1, -0.6, -2.3) for y in [9.7 + (6.0 - x) * 0.25]]
    return (each(WHITE, [*sole_geo, *laces, *cap, *tab]) + each(BODY, upper_geo) + each(OFF_WHITE, stripe)
            + each(DARK, _opening(-12.0, -5.0, 10.85, 2.4)))


def boot() -> Parts:
    """Ankle boot: extruded shaft and sole profiles with a stacked heel, a dark collar and front lacing."""
    sole = [(-13.0, 0.0), (-8.5, 0.0), (-8.5, 1.0), (12.0, 1.0), (14.0, 1.8), (13.6, 3.2), (-13.0, 3.2)]
    upper = [(-13.0, 3.1), (13.3, 3.1), (14.2, 4.6), (13.3, 7.0), (10.5, 8.6), (5.5, 10.2), (3.6, 18.0),
             (3.2, 24.0), (-11.0, 24.0), (-12.2, 19.0), (-13.6, 8.0)]
    sole_geo, upper_geo = _lower(_shoe(sole, upper, 9.4), 3)
    collar = [g.warped(lambda v: _scale_z(v, 0.66)) for g in extrude([(-11.2, 22.6), (3.1, 22.6), (3.0, 24.6),
                                                                       (-11.1, 24.6)], -5.0, 5.0)]
    laces = [cuboid((x - 0.45, y - 0.35, -2.0), (x + 0.45, y + 0.35, 2.0))
             for y in (12.0, 15.0, 18.0, 21.0) for x in [5.6 - 2.3 * (y - 10.2) / 13.8]]
    return each("#3b2a20", sole_geo) + each(BODY, upper_geo) + each(DARK, collar) + each("#d9c7a0", laces)


def _scale_z(v: Array, k: float) -> Array:
    v[:, 2] *= k
    return v


def shoe() -> Parts:
    """Dress shoe or loafer (gudu): a low extruded upper over a dark sole and heel block, with a gold bit."""
    sole = [(-13.0, 0.0), (-8.0, 0.0), (-8.0, 1.1), (12.5, 1.1), (14.2, 1.8), (13.8, 2.4), (-13.0, 2.6)]
    upper = [(-13.0, 2.5), (-8.0, 2.3), (12.5, 2.3), (14.0, 3.6), (11.5, 6.0), (4.0, 7.4), (-3.0, 7.6),
             (-6.0, 7.0), (-11.0, 7.6), (-13.5, 6.8)]
    sole_geo, upper_geo = _lower(_shoe(sole, upper, 9.0), 3)
    bit = cuboid((4.8, 6.9, -2.0), (6.2, 7.5, 2.0))
    return (each(BLACK, sole_geo) + each(BODY, upper_geo) + each(GOLD, [bit])
            + each(DARK, _opening(-12.0, -3.5, 7.05, 2.6)))


def handbag() -> Parts:
    """Handbag: a trapezoid body extruded 13 cm deep, a front flap, two arched handles and a gold clasp."""
    body = extrude([(-15.0, 0.0), (15.0, 0.0), (12.5, 22.0), (-12.5, 22.0)], -6.5, 6.5)
    flap = extrude([(-12.6, 22.0), (-13.6, 11.0), (0.0, 8.0), (13.6, 11.0), (12.6, 22.0)], 6.5, 7.1)
    handles = [sweep(arc((0.0, 22.0, z), 8.0, 0, 180, 11), 0.9, up=(0.0, 0.0, 1.0)) for z in (-3.0, 3.0)]
    clasp = cuboid((-1.6, 8.6, 7.0), (1.6, 10.8, 7.6))
    feet = [cuboid((x - 0.8, -0.01, z - 0.8), (x + 0.8, 0.3, z + 0.8)) for x in (-11.0, 11.0) for z in (-4.0, 4.0)]
    return each(BODY, [*body, *flap, *handles]) + each(GOLD, [clasp, *feet])


def backpack() -> Parts:
    """Backpack: a rounded body and front pocket (extruded rounded rectangles), dark straps, zip and handle."""
    body = extrude(rounded_rect(30.0, 42.0, 8.0, 3, (0.0, 21.0)), -9.0, 5.0, smooth_sides=True)
    pocket = extrude(rounded_rect(22.0, 16.0, 4.0, 3, (0.0, 12.0)), 5.0, 9.0, smooth_sides=True)
    zip_line = cuboid((-10.0, 19.6, 8.9), (10.0, 20.4, 9.3))
    pull = cuboid((8.0, 17.8, 9.2), (9.0, 20.0, 9.6))
    handle = sweep(arc((0.0, 41.5, -2.0), 4.0, 0, 180, 9), 0.8, up=(0.0, 0.0, 1.0))
    straps = [cuboid((x - 2.0, 5.0, -11.2), (x + 2.0, 38.0, -9.0)) for x in (-8.0, 8.0)]
    return each(BODY, [*body, *pocket]) + each(DARK, [zip_line, handle, *straps]) + each(GOLD, [pull])


def tote_bag() -> Parts:
    """Canvas eco bag: a thin tinted sack with two long strap loops and a printed patch."""
    sack = cuboid((-18.0, 0.0, -1.5), (18.0, 40.0, 1.5))
    straps = [sweep(arc((0.0, 39.0, z), 8.0, 0, 180, 11, radius2=17.0), 0.8, up=(0.0, 0.0, 1.0), sides=4)
              for z in (-1.1, 1.1)]
    patch = extrude(rounded_rect(16.0, 12.0, 2.0), 1.5, 1.7)
    return each(BODY, [sack, *straps]) + each(OFF_WHITE, [g.moved((0.0, 20.0, 0.0)) for g in patch])
