"""Steps ``portals``, ``spawn_points`` and ``lights`` (the scene's anchor nodes), and where a product's anchors are.

Products have no node of their own: thousands of them would make the GLB's JSON most of the file. Their pick box
and price-tag anchor are in the manifest (``product_anchor``), keyed by SKU, each with its feature id, the index
that the drawn geometry's ``_FEATURE_ID_0`` carries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from storefront_builder.build_steps.context import BuildContext
from storefront_builder.geometry.fixtures import place
from storefront_builder.geometry.mesh import MeshData, box_between
from storefront_builder.gltf.writer import rnd, rnd_list
from storefront_builder.plan import PlacedProduct, SpawnPoint

LIGHTS_EXT = "KHR_lights_punctual"


def _yaw(rotation_y: float) -> list[float]:
    half = np.radians(rotation_y) / 2
    return [0.0, rnd(np.sin(half), 7), 0.0, rnd(np.cos(half), 7)]


def _anchor(name: str, position: tuple[float, float, float], rotation_y: float,
            extras: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name, "translation": rnd_list(position, 4), "extras": {"vrstore": extras}}
    if rotation_y % 360:
        node["rotation"] = _yaw(rotation_y)
    return node


def product_anchor(p: PlacedProduct) -> dict[str, Any]:
    """A product's pick box and price-tag anchor, in the store's space.

    The pick box is ``size`` [w, h, d] with its bottom face centred on ``position``, turned ``rotation_y`` degrees
    about +Y. The price tag hangs at the front of the slot, at its base, a centimetre out: ``tag`` is that point
    (same turn); the client draws the live price there.
    """
    turn = np.radians(p.rotation_y)
    front = p.size[2] / 2 + 0.01
    tag = np.asarray(p.position) + front * np.array([np.sin(turn), 0.0, np.cos(turn)])
    return {"position": rnd_list(p.position, 4), "rotation_y": rnd(p.rotation_y, 3), "size": rnd_list(p.size, 4),
            "tag": rnd_list(tag, 4)}


def portals(ctx: BuildContext) -> None:
    """A glowing frame and a translucent veil per portal (batched), plus a ``portal:{id}`` anchor node."""
    if not ctx.plan.portals:
        return
    parent = ctx.group("portals")
    glow: list[MeshData] = []
    veil: list[MeshData] = []
    for p in ctx.plan.portals:
        w, h, d = p.size
        post = 0.12
        frame = {
            "portal_glow": [
                box_between((-w / 2 - post, 0, -d / 2), (-w / 2, h, d / 2)),
                box_between((w / 2, 0, -d / 2), (w / 2 + post, h, d / 2)),
                box_between((-w / 2 - post, h, -d / 2), (w / 2 + post, h + post, d / 2)),
            ],
            "portal_veil": [box_between((-w / 2, 0, -0.01), (w / 2, h, 0.01))],
        }
        placed = place(frame, p.position, p.rotation_y)
        glow += placed["portal_glow"]
        veil += placed["portal_veil"]
        ctx.doc.add_node(_anchor(f"portal:{p.id}", p.position, p.rotation_y,
                                 {"portal": p.target, "id": p.id, "label": p.label, "size": rnd_list(p.size, 4)}),
                         parent=parent)
    ctx.emit("portal-frames", {"portal_glow": glow, "portal_veil": veil}, parent=parent)


def spawn_points(ctx: BuildContext) -> None:
    """``spawn:{id}`` nodes (rotation_y 0 looks towards -Z); a default one inside the entrance if none."""
    spawns = ctx.plan.spawn_points or [
        SpawnPoint(id="entrance", position=(0.0, 0.0, ctx.plan.depth / 2 - 1.0), rotation_y=0.0)
    ]
    parent = ctx.group("spawn_points")
    for s in spawns:
        ctx.doc.add_node(_anchor(f"spawn:{s.id}", s.position, s.rotation_y, {"spawn": s.id}), parent=parent)


def lights(ctx: BuildContext) -> None:
    """A warm directional sun and a small grid of point lights; clients add their own ambient light."""
    plan = ctx.plan
    lights_json: list[dict[str, Any]] = [
        {"name": "sun", "type": "directional", "color": [1.0, 0.96, 0.88], "intensity": 2.5},
    ]
    parent = ctx.group("lights")
    # Sun: pitched 55° down and turned 30° so walls and shelf fronts get different shades.
    pitch, yaw = np.radians(-55) / 2, np.radians(30) / 2
    qx = np.array([np.sin(pitch), 0, 0, np.cos(pitch)])
    qy = np.array([0, np.sin(yaw), 0, np.cos(yaw)])
    q = _qmul(qy, qx)
    ctx.doc.add_node({"name": "light:sun", "translation": [0.0, rnd(plan.wall_height + 2, 3), 0.0],
                      "rotation": rnd_list(q / np.linalg.norm(q), 7),
                      "extensions": {LIGHTS_EXT: {"light": 0}}}, parent=parent)
    nx = max(1, min(3, round(plan.width / 12)))
    nz = max(1, min(2, round(plan.depth / 12)))
    y = max(plan.wall_height - 0.3, 2.5)
    rng = float(max(plan.width / nx, plan.depth / nz) * 1.5)
    for i in range(nx):
        for j in range(nz):
            lights_json.append({"name": f"lamp-{i}-{j}", "type": "point", "color": [1.0, 0.85, 0.65],
                                "intensity": 40.0, "range": rnd(rng, 2)})
            pos = [(i + 0.5) / nx * plan.width - plan.width / 2, y, (j + 0.5) / nz * plan.depth - plan.depth / 2]
            ctx.doc.add_node({"name": f"light:lamp-{i}-{j}", "translation": rnd_list(pos, 3),
                              "extensions": {LIGHTS_EXT: {"light": len(lights_json) - 1}}}, parent=parent)
    ctx.doc.gltf.setdefault("extensions", {})[LIGHTS_EXT] = {"lights": lights_json}
    ctx.doc.extensions_used.add(LIGHTS_EXT)


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])
