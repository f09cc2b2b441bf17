"""Accessories, electronics, books, toys and sports (centimetres; front +Z)."""

from __future__ import annotations

import numpy as np

from kit_recipes.parts import (
    BLACK,
    BODY,
    DARK,
    GOLD,
    GREY,
    METAL,
    OFF_WHITE,
    WHITE,
    Geo,
    Parts,
    arc,
    cuboid,
    each,
    ellipse,
    extrude,
    rod,
    rounded_rect,
    sphere,
    sweep,
)


def watch() -> Parts:
    """Wristwatch on a display cushion: a tinted strap looped round it, a metal case, white dial and hands."""
    cushion = [g.moved((0.0, 3.2, 0.0), ry=90) for g in extrude(ellipse(4.0, 3.2, 14), -2.0, 2.0, smooth_sides=True)]
    loop = [[0.0, 3.2 + 3.75 * float(np.sin(a)), 4.55 * float(np.cos(a))] for a in np.radians(np.arange(0, 360, 20))]
    strap = sweep(loop, 0.45, up=(1.0, 0.0, 0.0), sides=4, closed=True).moved(s=(5.0, 1.0, 1.0))
    case = rod((0.0, 3.2, 4.0), (0.0, 3.2, 5.9), 3.0, 16)
    dial = rod((0.0, 3.2, 5.9), (0.0, 3.2, 6.0), 2.6, 16)
    hands = [cuboid((-0.15, 3.1, 6.0), (0.15, 5.2, 6.12)), cuboid((-0.15, 3.05, 6.0), (1.7, 3.35, 6.14))]
    crown = rod((2.9, 3.2, 4.95), (3.7, 3.2, 4.95), 0.45, 6)
    return (each("#3d3d44", cushion) + each(BODY, [strap]) + each(METAL, case + crown) + each(WHITE, dial)
            + each(BLACK, hands))


def glasses() -> Parts:
    """Glasses standing open: two tinted rims (closed elliptical sweeps), a bridge, temples and tinted lenses."""
    rims = [sweep([[*p, 0.0] for p in ellipse(3.1, 2.4, 16, (x, 2.7))], 0.32, up=(0.0, 0.0, 1.0), sides=5,
                  closed=True) for x in (-3.5, 3.5)]
    lenses = [g for x in (-3.5, 3.5) for g in extrude(ellipse(3.0, 2.3, 16, (x, 2.7)), -0.08, 0.08)]
    bridge = sweep(arc((0.0, 3.3, 0.0), 0.9, 20, 160, 6), 0.28, up=(0.0, 0.0, 1.0), sides=5)
    temples = [g for side in (-1.0, 1.0) for g in rod((side * 6.5, 3.7, -0.1), (side * 6.8, 1.2, -13.0), 0.25, 5)]
    hinges = [cuboid((side * 6.4 - 0.4, 3.3, -0.5), (side * 6.4 + 0.4, 4.1, 0.2)) for side in (-1.0, 1.0)]
    return each(BODY, [*rims, bridge, *temples, *hinges]) + each("#4a5a66", lenses)


def ring_box() -> Parts:
    """Jewellery: an open tinted velvet ring box (base and tilted lid), a dark cushion and a gold ring with a stone."""
    base = cuboid((-3.2, 0.0, -3.2), (3.2, 3.6, 3.2))
    lid = cuboid((-3.2, 0.0, -0.9), (3.2, 6.4, 0.0)).moved((0.0, 3.6, -3.2), rx=-12)
    cushion = cuboid((-2.8, 3.6, -2.8), (2.8, 3.9, 2.8))
    ring = sweep([[*p, 0.4] for p in ellipse(1.35, 1.35, 14, (0.0, 4.7))], 0.22, up=(0.0, 0.0, 1.0), sides=5,
                 closed=True)
    stone = sphere(0.55, (0.0, 6.25, 0.4), seg=6, rings=4)
    return each(BODY, [base, lid]) + each(DARK, [cushion]) + each(GOLD, [ring]) + each(WHITE, [stone])


def phone() -> Parts:
    """Smartphone leaning on a stand: a rounded slab (tinted back and frame), a black screen and camera bump."""
    slab = extrude(rounded_rect(7.4, 15.4, 1.0, 3, (0.0, 7.7)), -0.42, 0.42)
    screen = extrude(rounded_rect(6.9, 14.8, 0.7, 3, (0.0, 7.7)), 0.42, 0.47)
    bump = extrude(rounded_rect(2.4, 3.0, 0.6, 2, (-1.9, 13.2)), -0.65, -0.42)

    def lean(g: Geo) -> Geo:
        return g.moved((0.0, 0.9, 0.8), rx=-14.0)

    stand = [cuboid((-3.4, 0.0, -4.0), (3.4, 0.7, 2.4)), cuboid((-3.4, 0.7, 1.3), (3.4, 1.6, 2.0)),
             *rod((0.0, 0.7, -3.5), (0.0, 7.4, -1.45), 0.5, 6)]
    return (each(BODY, [lean(g) for g in slab + bump]) + each(BLACK, [lean(g) for g in screen])
            + each(GREY, stand))


def laptop() -> Parts:
    """Open laptop: a rounded tinted base and lid (15° past upright), dark keyboard deck and screen."""
    base = [g.moved(rx=-90) for g in extrude(rounded_rect(32.0, 22.0, 1.5), 0.0, 1.6)]
    keys = cuboid((-13.5, 1.6, -9.5), (13.5, 1.7, 1.5))
    pad = cuboid((-5.0, 1.6, 3.0), (5.0, 1.66, 9.5))
    lid = extrude(rounded_rect(32.0, 21.0, 1.5, 3, (0.0, 10.5)), -0.7, 0.0)
    screen = extrude(rounded_rect(29.5, 18.5, 0.6, 2, (0.0, 10.7)), 0.0, 0.06)

    def hinge(g: Geo) -> Geo:
        return g.moved((0.0, 1.6, -10.6), rx=-15.0)

    return (each(BODY, [*base, *[hinge(g) for g in lid]]) + each(DARK, [keys])
            + each(GREY, [pad]) + each("#1d2733", [hinge(g) for g in screen]))


def headphones() -> Parts:
    """Over-ear headphones: a tinted headband (swept arc), cushioned top pad, ear cups and black ear pads."""
    band = sweep(arc((0.0, 10.0, 0.0), 8.6, 0, 180, 13), 0.9, up=(0.0, 0.0, 1.0), sides=6)
    pad = sweep(arc((0.0, 10.0, 0.0), 8.6, 55, 125, 7), 1.35, up=(0.0, 0.0, 1.0), sides=6)
    cups = [g for side in (-1.0, 1.0) for g in rod((side * 7.6, 6.4, 0.0), (side * 10.6, 6.4, 0.0), 3.5, 14)]
    cushions = [g for side in (-1.0, 1.0) for g in rod((side * 6.4, 6.4, 0.0), (side * 7.6, 6.4, 0.0), 3.1, 14)]
    sliders = [g for side in (-1.0, 1.0) for g in rod((side * 8.6, 9.9, 0.0), (side * 9.1, 9.5, 0.0), 0.7, 6)]
    return each(BODY, [band, *cups]) + each(BLACK, [pad, *cushions]) + each(METAL, sliders)


def book() -> Parts:
    """Hardback book standing with its cover to the front: tinted boards and spine, cream page block, title label."""
    pages = cuboid((-7.2, 0.3, -1.3), (7.3, 21.7, 1.3))
    covers = [cuboid((-7.5, 0.0, 1.3), (7.6, 22.0, 1.6)), cuboid((-7.5, 0.0, -1.6), (7.6, 22.0, -1.3)),
              cuboid((-7.9, 0.0, -1.6), (-7.2, 22.0, 1.6))]
    label = cuboid((-5.0, 13.5, 1.6), (5.0, 18.0, 1.66))
    band = cuboid((-7.95, 3.0, -1.65), (-7.5, 4.0, 1.65))
    return each(OFF_WHITE, [pages]) + each(BODY, covers) + each(WHITE, [label]) + each(GOLD, [band])


def teddy_bear() -> Parts:
    """Sitting teddy bear (toy): spheres and ellipsoids for body, head, ears and limbs, with a pale muzzle and belly."""
    fur = [sphere(6.0, (0.0, 7.0, 0.0), seg=10, rings=6, scale=(1.0, 1.1, 0.9)),
           sphere(4.6, (0.0, 15.6, 0.4), seg=10, rings=6),
           *[sphere(1.7, (x, 19.4, 0.0), seg=6, rings=4, scale=(1.0, 1.0, 0.6)) for x in (-3.4, 3.4)],
           *[sphere(2.0, (x, 8.5, 1.2), seg=6, rings=5, scale=(1.0, 1.9, 1.0)) for x in (-5.8, 5.8)],
           *[sphere(2.3, (x, 2.2, 3.6), seg=8, rings=5, scale=(1.0, 1.0, 1.8)) for x in (-3.2, 3.2)]]
    pale = [sphere(1.9, (0.0, 14.6, 4.3), seg=8, rings=5, scale=(1.25, 0.9, 0.8)),
            sphere(3.6, (0.0, 7.0, 4.3), seg=8, rings=5, scale=(1.0, 1.2, 0.45))]
    dark = [sphere(0.65, (0.0, 15.3, 5.8), seg=6, rings=4),
            *[sphere(0.5, (x, 16.9, 4.0), seg=6, rings=4) for x in (-1.6, 1.6)]]
    return each(BODY, fur) + each("#efe0c4", pale) + each(BLACK, dark)


def ball() -> Parts:
    """Sports ball on a ring stand: a 16×10 tinted sphere with three dark seams (closed swept circles)."""
    globe = sphere(11.0, (0.0, 11.4, 0.0), seg=16, rings=10)
    circle = arc((0.0, 0.0, 0.0), 11.08, 0, 360, 25)[:-1]
    seams = [sweep(circle, 0.22, up=(0.0, 0.0, 1.0), sides=4, closed=True).moved((0.0, 11.4, 0.0), ry=turn)
             for turn in (0.0, 90.0)]
    seams.append(sweep([[x, 0.0, y] for x, y, _ in circle], 0.22, up=(0.0, 1.0, 0.0), sides=4, closed=True)
                 .moved((0.0, 11.4, 0.0)))
    stand = sweep(arc((0.0, 0.6, 0.0), 5.2, 0, 360, 17, plane="xz")[:-1], 0.6, up=(0.0, 1.0, 0.0), sides=5,
                  closed=True)
    return each(BODY, [globe]) + each(DARK, seams) + each(GREY, [stand])

