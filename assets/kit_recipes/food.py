"""Drinks, groceries and fresh produce (centimetres; front +Z)."""

from __future__ import annotations

import numpy as np

from kit_recipes.parts import (
    BODY,
    GOLD,
    METAL,
    OFF_WHITE,
    WHITE,
    WOOD,
    Array,
    Geo,
    Parts,
    cuboid,
    cylinder,
    each,
    ellipse,
    extrude,
    revolve,
    rod,
    rounded_rect,
    sphere,
    sweep,
)


def bottle() -> Parts:
    """PET bottle: a revolved profile (12 sides) in clear-blue plastic, a tinted label band and screw cap."""
    glass = revolve([(3.6, 0.0), (4.0, 0.6), (4.0, 17.0), (3.0, 22.0), (1.4, 25.0), (1.4, 26.2)], 12, top=False)
    label = revolve([(4.08, 7.0), (4.08, 15.0)], 12, bottom=False, top=False)
    cap = cylinder(1.6, 26.0, 28.2, 10)
    return each("#cfe6ee", glass) + each(BODY, label + cap)


def wine_bottle() -> Parts:
    """Wine or soju bottle: dark green glass revolved with a long neck, a tinted label and foil capsule."""
    glass = revolve([(3.7, 0.0), (3.7, 19.0), (3.2, 21.5), (1.3, 24.0), (1.2, 29.5)], 12, top=False)
    label = revolve([(3.78, 6.0), (3.78, 14.0)], 12, bottom=False, top=False)
    foil = cylinder(1.36, 24.5, 30.0, 10)
    return each("#2f5a3c", glass) + each(BODY, label + foil)


def can() -> Parts:
    """Drink can: a tinted revolved wall between metal rims, with a ring-pull tab on the lid."""
    bottom = revolve([(2.6, 0.0), (3.3, 0.8)], 14, top=False)
    wall = revolve([(3.3, 0.8), (3.3, 11.0)], 14, bottom=False, top=False)
    lid = revolve([(3.3, 11.0), (2.8, 12.0), (2.7, 12.2)], 14, bottom=False)
    tab = cuboid((-0.6, 12.2, 0.2), (0.6, 12.45, 2.0))
    return each(METAL, bottom + lid + [tab]) + each(BODY, wall)


def milk_carton() -> Parts:
    """Gable-top milk carton: a tinted printed box, a white gable roof (extruded triangle) and top seal fin."""
    box = cuboid((-3.5, 0.0, -3.5), (3.5, 15.0, 3.5))
    shoulder = cuboid((-3.5, 15.0, -3.5), (3.5, 18.5, 3.5))
    roof = [g.moved(ry=90) for g in extrude([(-3.5, 18.5), (3.5, 18.5), (0.0, 22.5)], -3.5, 3.5)]
    fin = cuboid((-3.5, 22.3, -0.25), (3.5, 24.0, 0.25))
    cap = cylinder(1.1, 0.0, 1.0, 10)
    spout = [g.moved((0.0, 20.3, 1.75), rx=45) for g in cap]
    return each(BODY, [box]) + each(WHITE, [shoulder, *roof, fin]) + each("#2f6fb4", spout)


def jar() -> Parts:
    """Jam jar: tinted contents in a revolved jar, a gold screw lid and a paper label band."""
    body = revolve([(3.6, 0.0), (4.0, 0.5), (4.0, 7.2), (3.4, 8.0)], 12)
    lid = revolve([(3.7, 8.0), (3.7, 9.8)], 12)
    label = revolve([(4.06, 2.0), (4.06, 5.6)], 12, bottom=False, top=False)
    return each(BODY, body) + each(GOLD, lid) + each(OFF_WHITE, label)


def kimchi_jar() -> Parts:
    """Onggi (Korean earthenware crock) for kimchi and jang: a bulging 16-sided revolve with a domed lid."""
    pot = revolve([(7.5, 0.0), (9.0, 1.5), (13.0, 9.0), (16.0, 17.0), (16.2, 20.0), (14.5, 25.5), (10.5, 29.5),
                   (8.6, 30.5), (8.8, 31.5)], 16)
    band = revolve([(16.28, 17.6), (16.28, 19.4)], 16, bottom=False, top=False)
    lid = revolve([(9.8, 31.5), (9.8, 32.3), (7.0, 33.6), (2.0, 34.2)], 16)
    knob = revolve([(2.0, 34.2), (1.5, 35.0), (1.9, 35.9)], 10, bottom=False)
    return each(BODY, pot) + each("#8a5a36", band) + each("#4e2f1b", lid + knob)


def pillow(w: float, h: float, t: float, n: int = 8, *, y0: float = 0.0, square: float = 6.0) -> list[Geo]:
    """A flexible bag: front and back sheets bulging to ``t`` and meeting along their edges (smooth)."""
    u = np.linspace(-1.0, 1.0, n + 1)
    uu, ww = np.meshgrid(u, u, indexing="xy")
    depth = t / 2 * np.sqrt(np.clip(1 - np.abs(uu) ** square, 0, 1) * np.clip(1 - np.abs(ww) ** square, 0, 1))
    faces = []
    for j in range(n):
        for i in range(n):
            a, b, c, d = j * (n + 1) + i, j * (n + 1) + i + 1, (j + 1) * (n + 1) + i + 1, (j + 1) * (n + 1) + i
            faces += [[a, b, c], [a, c, d]]
    f = np.array(faces, np.int64)
    out = []
    for side in (1.0, -1.0):
        v = np.stack([uu * w / 2, y0 + (ww + 1) / 2 * h, side * depth], -1).reshape(-1, 3)
        out.append(Geo(v, f if side > 0 else f[:, ::-1], smooth=True))
    return out


def snack_bag() -> Parts:
    """Pillow-pack snack bag: two bulging sheets on an 8×8 grid with crimped seals and a front picture."""
    bag = pillow(18.0, 24.0, 7.0, y0=1.2)
    seals = [cuboid((-9.0, 0.0, -0.3), (9.0, 1.4, 0.3)), cuboid((-9.0, 25.0, -0.3), (9.0, 26.4, 0.3))]
    picture = extrude(ellipse(4.6, 3.6, 14), 0.0, 0.2)
    return each(BODY, bag + seals) + each("#f4c430", [g.moved((0.0, 11.0, 3.35)) for g in picture])


def rice_bag() -> Parts:
    """Rice sack: a deep woven-bag pillow, a sewn top band, a green brand panel and a red stamp."""
    sack = pillow(38.0, 50.0, 16.0, 8, y0=0.0, square=8.0)
    band = cuboid((-19.0, 48.5, -1.2), (19.0, 50.5, 1.2))
    panel = extrude(rounded_rect(20.0, 14.0, 2.0), 0.0, 0.3)
    stamp = extrude(ellipse(3.0, 3.0, 12), 0.0, 0.3)
    return (each(BODY, sack) + each("#d8ccaa", [band]) + each("#3d7a3a", [g.moved((0.0, 26.0, 7.6)) for g in panel])
            + each("#c8372d", [g.moved((0.0, 14.0, 7.5)) for g in stamp]))


def noodle_cup() -> Parts:
    """Cup noodles: a tinted flared paper cup, a white band, and a foil lid with its pull tab."""
    def radius(y: float) -> float:
        return 3.3 + 1.4 * y / 9.4

    cup = revolve([(3.3, 0.0), (4.7, 9.4)], 14, top=False)
    band = revolve([(radius(3.5) + 0.06, 3.5), (radius(6.5) + 0.06, 6.5)], 14, bottom=False, top=False)
    lid = revolve([(4.85, 9.4), (4.85, 9.75)], 14)
    tab = cuboid((-1.0, 9.5, 4.6), (1.0, 9.7, 6.4))
    return each(BODY, cup) + each(WHITE, band) + each(METAL, [*lid, tab])


def gift_box() -> Parts:
    """Holiday gift set (seollal/chuseok): a tinted box and lid tied with a gold ribbon and bow."""
    base = cuboid((-15.0, 0.0, -11.0), (15.0, 9.5, 11.0))
    lid = cuboid((-15.4, 8.0, -11.4), (15.4, 12.0, 11.4))
    ribbon = [cuboid((-2.0, -0.05, -11.5), (2.0, 12.1, 11.5)), cuboid((-15.5, -0.05, -2.0), (15.5, 12.1, 2.0))]
    loops = [sweep(_loop(side), 1.0, up=(0.0, 0.0, 1.0), sides=5) for side in (-1.0, 1.0)]
    return each(BODY, [base, lid]) + each(GOLD, [*ribbon, *loops])


def _loop(side: float) -> list[list[float]]:
    t = np.radians(np.linspace(0, 330, 12))
    return [[side * (3.0 - 3.0 * float(np.cos(a))), 12.0 + 2.2 * float(np.sin(a)) + 1.2, 0.0] for a in t]


def bread() -> Parts:
    """Bread loaf: a flattened ellipsoid (12×8) on a flat base with three dark score cuts."""
    loaf = sphere(1.0, seg=12, rings=8, scale=(14.0, 7.0, 6.5)).warped(_flat_bottom)
    cuts = [cuboid((-1.8, -0.3, -3.6), (1.8, 0.3, 3.6)).moved((x, 8.7 + 7.0 * float(np.sqrt(1 - (x / 14.0) ** 2)) - 7.0,
                                                             0.0), rz=-18, ry=25) for x in (-6.0, 0.0, 6.0)]
    return each(BODY, [loaf]) + each("#8e5a2b", cuts)


def _flat_bottom(v: Array) -> Array:
    v[:, 1] = np.maximum(v[:, 1], -2.0) + 2.0
    return v


def box() -> Parts:
    """Packaged goods: a tinted carton with a white front label and a printed stripe."""
    carton = cuboid((-10.0, 0.0, -4.0), (10.0, 26.0, 4.0))
    label = cuboid((-7.0, 9.0, 4.0), (7.0, 19.0, 4.25))
    stripe = cuboid((-10.05, 3.0, -4.05), (10.05, 5.0, 4.05))
    return each(BODY, [carton]) + each(WHITE, [label]) + each(OFF_WHITE, [stripe])


def fruit_crate() -> Parts:
    """Fruit crate: wooden slats (boxes) holding eight round fruit (8-sided spheres) with stems."""
    wood = [cuboid((-20.0, 0.0, -15.0), (20.0, 1.2, 15.0)),
            cuboid((-20.0, 0.0, -15.0), (-18.5, 14.0, 15.0)), cuboid((18.5, 0.0, -15.0), (20.0, 14.0, 15.0))]
    for z0, z1 in ((-15.0, -14.0), (14.0, 15.0)):
        wood += [cuboid((-18.5, 2.0, z0), (18.5, 6.0, z1)), cuboid((-18.5, 8.5, z0), (18.5, 12.5, z1))]
    spots = [(x, 6.2, z) for x in (-12.0, 0.0, 12.0) for z in (-6.5, 6.5)] + [(-6.0, 14.0, 0.0), (6.0, 14.0, 0.0)]
    fruit = [sphere(5.4, p, seg=8, rings=4) for p in spots]
    stems = [cuboid((x - 0.4, y + 5.0, z - 0.4), (x + 0.4, y + 6.6, z + 0.4)) for x, y, z in spots]
    return each(WOOD, wood) + each(BODY, fruit) + each("#5b3a1e", stems)


def vegetable_bundle() -> Parts:
    """Green-onion (daepa) bundle lying down: five stalks, white below and tinted green above, tied with a band."""
    white: list[Geo] = []
    green: list[Geo] = []
    for y, z in ((1.7, 0.0), (1.7, 3.4), (1.7, -3.4), (4.6, 1.7), (4.6, -1.7), (7.4, 0.0)):
        white += rod((-22.0, y, z), (3.0, y, z), 1.7, 6)
        green += rod((3.0, y, z), (15.0, y, z * 1.1), 1.6, 6)
        for turn in (-14.0, 16.0):
            green.append(cuboid((0.0, -0.25, -0.9), (11.0, 0.25, 0.9)).moved((14.5, y, z * 1.15), ry=turn, rz=-4))
    roots = [cuboid((-23.0, 0.4, -4.6), (-22.0, 8.4, 4.6))]
    band = sweep([[-6.0, 4.55 + 4.9 * float(np.sin(a)), 5.6 * float(np.cos(a))]
                  for a in np.radians(np.arange(0, 360, 30))], 0.5, up=(1.0, 0.0, 0.0), sides=4, closed=True)
    return each("#eef0dc", white) + each(BODY, green) + each("#d8cfa8", roots) + each("#c8372d", [band])


def cabbage() -> Parts:
    """Napa cabbage (baechu) lying down: a pale ellipsoid head wrapped by tinted green outer leaves."""
    head = sphere(1.0, seg=10, rings=8, scale=(17.0, 7.5, 7.5)).warped(_lift)
    leaves = [sphere(1.0, seg=10, rings=6, scale=(11.0, 8.3, 8.3)).moved((7.0, 0.0, 0.0)).warped(_lift)]
    for turn in (-55.0, 0.0, 55.0):
        leaves.append(sphere(1.0, seg=8, rings=5, scale=(9.0, 0.9, 6.0)).moved((4.0, 7.6, 0.0))
                      .moved(rx=turn).moved((0.0, 8.0, 0.0)))
    return each("#e7ecc2", [head]) + each(BODY, leaves)


def _lift(v: Array) -> Array:
    v[:, 1] = np.maximum(v[:, 1], -6.5) + 7.5
    return v
