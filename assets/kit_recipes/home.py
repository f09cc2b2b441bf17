"""Beauty, kitchen and household goods (centimetres; front +Z)."""

from __future__ import annotations

import numpy as np

from kit_recipes.parts import (
    BLACK,
    BODY,
    DARK,
    GOLD,
    OFF_WHITE,
    SOIL,
    WHITE,
    Array,
    Parts,
    arc,
    cuboid,
    cylinder,
    each,
    extrude,
    revolve,
    rod,
    rounded_rect,
    sphere,
    sweep,
)


def cosmetic_tube() -> Parts:
    """Squeeze tube standing on its cap: a revolved tube warped from round to a flat crimped end."""
    def squeeze(v: Array) -> Array:
        t = np.clip((v[:, 1] - 3.0) / 12.5, 0.0, 1.0)
        v[:, 2] *= 1.0 - 0.9 * t ** 1.2
        v[:, 0] *= 1.0 + 0.3 * t
        return v

    cap = cylinder(1.9, 0.0, 2.2, 12)
    shoulder = revolve([(1.2, 2.2), (2.4, 3.0)], 12, bottom=False, top=False)
    tube = revolve([(2.4, 3.0 + 12.5 * k / 8) for k in range(9)], 12, bottom=False, top=False)
    crimp = cuboid((-3.15, 15.3, -0.3), (3.15, 17.0, 0.3))
    return each(WHITE, cap) + each(BODY, [*shoulder, *[g.warped(squeeze) for g in tube], crimp])


def lipstick() -> Parts:
    """Lipstick: a gold case (revolved), a black band and the tinted bullet cut on a slant."""
    def slant(v: Array) -> Array:
        top = v[:, 1] > 7.05
        v[top, 1] = 7.0 + 1.5 - 1.2 * (v[top, 0] + 0.8) / 1.6
        return v

    case = cylinder(1.1, 0.0, 4.3, 14) + revolve([(0.95, 4.5), (0.95, 5.6)], 14, bottom=False)
    band = revolve([(1.12, 4.3), (1.12, 4.5)], 14, bottom=False, top=False)
    bullet = [g.warped(slant) for g in revolve([(0.8, 5.6), (0.8, 7.0), (0.8, 8.5)], 14, bottom=False)]
    return each(GOLD, case) + each(BLACK, band) + each(BODY, bullet)


def perfume() -> Parts:
    """Perfume: a tinted rounded glass block (extruded), a gold neck, a black square cap and a small label."""
    bottle = extrude(rounded_rect(7.0, 8.0, 1.2, 3, (0.0, 4.0)), -2.2, 2.2, smooth_sides=True)
    neck = cylinder(0.8, 8.0, 9.1, 10)
    cap = cuboid((-1.6, 9.0, -1.6), (1.6, 11.8, 1.6))
    label = cuboid((-2.0, 2.6, 2.2), (2.0, 4.2, 2.26))
    return each(BODY, bottle) + each(GOLD, neck) + each(BLACK, [cap]) + each(OFF_WHITE, [label])


def pump_bottle() -> Parts:
    """Pump bottle (shampoo, lotion): a tinted revolved bottle, label band and a white pump with its nozzle."""
    body = revolve([(2.8, 0.0), (3.0, 0.4), (3.0, 14.0), (2.2, 16.0), (1.2, 16.6)], 12)
    label = revolve([(3.05, 4.0), (3.05, 10.0)], 12, bottom=False, top=False)
    pump = [*cylinder(1.4, 16.6, 17.6, 10), *rod((0.0, 17.6, 0.0), (0.0, 19.0, 0.0), 0.4, 6),
            cuboid((-1.0, 19.0, -1.0), (1.0, 20.4, 1.0)), *rod((0.0, 19.9, 0.9), (0.0, 19.9, 3.6), 0.35, 6)]
    return each(BODY, body) + each(OFF_WHITE, label) + each(WHITE, pump)


def cream_jar() -> Parts:
    """Skincare cream jar: a wide, low tinted revolved jar under a white lid with a gold rim."""
    jar = revolve([(3.6, 0.0), (4.0, 0.5), (4.0, 3.6), (3.7, 4.0)], 14)
    lid = revolve([(4.1, 3.9), (4.1, 5.5), (3.8, 6.0)], 14)
    rim = revolve([(4.15, 3.9), (4.15, 4.3)], 14, bottom=False, top=False)
    return each(BODY, jar) + each(WHITE, lid) + each(GOLD, rim)


def pot() -> Parts:
    """Cooking pot (naembi): a tinted revolved body and domed lid, black knob and side handles."""
    body = revolve([(10.5, 0.0), (11.0, 0.6), (11.0, 11.0)], 16, top=False)
    lid = revolve([(11.3, 11.0), (11.3, 11.6), (8.0, 13.2), (0.0, 14.0)], 16, bottom=False)
    knob = cylinder(1.5, 13.8, 15.8, 10)
    handles = [cuboid((10.6, 8.2, -3.0), (14.5, 9.6, 3.0)), cuboid((-14.5, 8.2, -3.0), (-10.6, 9.6, 3.0))]
    return each(BODY, body + lid) + each(BLACK, knob + handles)


def pan() -> Parts:
    """Frying pan: a tinted revolved outside, a dark non-stick inside (the profile runs back in) and a long handle."""
    outside = revolve([(10.0, 0.0), (12.6, 0.3), (14.0, 4.5)], 16, top=False)
    rim = revolve([(14.0, 4.5), (13.6, 4.6)], 16, bottom=False, top=False)
    inside = revolve([(13.6, 4.6), (12.3, 1.0), (0.0, 1.0)], 16, bottom=False, top=False)
    handle = rod((13.2, 3.6, 0.0), (33.0, 5.6, 0.0), 1.2, 6)
    return each(BODY, outside + rim) + each(DARK, inside) + each(BLACK, handle)


def mug() -> Parts:
    """Mug: a tinted revolved cup with a white glazed inside and a swept C-shaped handle."""
    outside = revolve([(4.0, 0.0), (4.25, 0.4), (4.25, 9.5)], 14, top=False)
    rim = revolve([(4.25, 9.5), (3.85, 9.5)], 14, bottom=False, top=False)
    inside = revolve([(3.85, 9.5), (3.85, 1.0), (0.0, 1.0)], 14, bottom=False, top=False)
    handle = sweep(arc((4.4, 5.0, 0.0), 2.8, -80, 80, 9), 0.6, up=(0.0, 0.0, 1.0), sides=6)
    return each(BODY, [*outside, *rim, handle]) + each(WHITE, inside)


def bowl() -> Parts:
    """Two stacked rice bowls: tinted revolved outsides on a foot ring, white insides."""
    parts: Parts = []
    for lift in (0.0, 2.4):
        outside = revolve([(3.4, lift), (3.4, lift + 0.8), (4.6, lift + 1.0), (7.0, lift + 5.0)], 14, top=False)
        rim = revolve([(7.0, lift + 5.0), (6.6, lift + 5.0)], 14, bottom=False, top=False)
        inside = revolve([(6.6, lift + 5.0), (4.6, lift + 1.6), (0.0, lift + 1.4)], 14, bottom=False, top=False)
        parts += each(BODY, outside + rim) + each(WHITE, inside)
    return parts


def plant() -> Parts:
    """Potted plant: a terracotta pot (revolved), dark soil and seven tinted leaves (flattened ellipsoids)."""
    pot = revolve([(5.0, 0.0), (6.5, 10.0), (7.2, 10.0), (7.2, 12.0), (6.7, 12.0), (6.7, 11.2)], 12, top=False)
    soil = revolve([(6.7, 11.2), (6.7, 11.3)], 12, bottom=False)
    leaves = []
    for n in range(7):
        tilt = 25.0 if n else 0.0
        leaves.append(sphere(1.0, seg=6, rings=4, scale=(2.6, 8.5, 0.7)).moved((0.0, 8.0, 0.0))
                      .moved((0.0, 11.0, 0.0), rx=tilt, ry=n * 360.0 / 6))
    return each("#c4683f", pot) + each(SOIL, soil) + each(BODY, leaves)


def detergent() -> Parts:
    """Detergent jug: a tinted rounded block with a sloped shoulder, a swept grip handle, white cap and label."""
    body = extrude(rounded_rect(16.0, 21.0, 2.0, 3, (0.0, 10.5)), -4.5, 4.5, smooth_sides=True)
    shoulder = extrude([(-8.0, 20.0), (8.0, 20.0), (6.0, 24.0), (-5.5, 24.0)], -4.0, 4.0)
    handle = sweep(arc((4.3, 22.5, 0.0), 3.6, -60, 120, 9), 1.3, up=(0.0, 0.0, 1.0), sides=6)
    cap = cylinder(2.0, 24.0, 26.6, 12)
    label = extrude(rounded_rect(11.0, 10.0, 1.2, 2, (0.0, 9.5)), 4.5, 4.6)
    return (each(BODY, [*body, *shoulder, handle]) + each(WHITE, [g.moved((-3.2, 0.0, 0.0)) for g in cap])
            + each(OFF_WHITE, label))

