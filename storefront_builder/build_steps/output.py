"""Steps ``encode_glb`` and ``manifest``: serialise the document and describe it for clients."""

from __future__ import annotations

from typing import Any

from storefront_builder.build_steps.context import BuildContext
from storefront_builder.build_steps.markers import product_anchor
from storefront_builder.build_steps.signage import all_signs
from storefront_builder.catalog.category_names import names
from storefront_builder.gltf.writer import rnd, rnd_list

# 2: products have no nodes in the GLB; their anchors (pick box, price tag) are here.
MANIFEST_VERSION = 2


def encode_glb(ctx: BuildContext) -> None:
    """Write the GLB bytes (deterministic: sorted keys, fixed rounding, insertion-ordered buffer)."""
    ctx.doc.gltf["asset"]["extras"] = {"vrstore": {"store": ctx.plan.store_id, "content_hash": ctx.content_hash}}
    ctx.glb = ctx.doc.to_glb()


def manifest(ctx: BuildContext) -> None:
    """The JSON manifest: products (slot, anchors, feature id), feature ids → SKUs, anchors, walkable area, stats."""
    plan = ctx.plan
    fixtures = {f.id: f for f in plan.fixtures}
    products: dict[str, Any] = {}
    for p in plan.products:
        if p.sku in products or p.sku not in ctx.feature_ids:
            continue
        products[p.sku] = {
            "slot": p.slot,
            "fixture": p.fixture_id if p.fixture_id in fixtures else None,
            **product_anchor(p),
            "feature": ctx.feature_ids[p.sku],
            "drawn_as": ctx.representation.get(p.sku, "placeholder"),
            # One slot per product: the shelf shows its first visible variant; the panel offers the others.
            "group": p.group or p.sku,
            "variants": list(p.variants) or [p.sku],
        }
    hx, hz = plan.width / 2, plan.depth / 2
    walkable = [rnd_list(r, 4) for r in plan.walkable] or [[-hx + 0.3, -hz + 0.3, hx - 0.3, hz - 0.3]]
    spawns = [{"id": s.id, "node": f"spawn:{s.id}", "position": rnd_list(s.position, 4),
               "rotation_y": rnd(s.rotation_y, 3)} for s in plan.spawn_points]
    if not spawns:
        spawns = [{"id": "entrance", "node": "spawn:entrance", "position": [0.0, 0.0, rnd(hz - 1.0, 4)],
                   "rotation_y": 0.0}]
    ctx.manifest = {
        "version": MANIFEST_VERSION,
        "store": {"id": plan.store_id, "name": plan.store_name, "kind": plan.kind},
        "content_hash": ctx.content_hash,
        "products": products,
        "features": list(ctx.feature_ids),
        "spawn_points": spawns,
        "portals": [{"id": p.id, "node": f"portal:{p.id}", "target": p.target, "label": p.label,
                     "position": rnd_list(p.position, 4), "rotation_y": rnd(p.rotation_y, 3),
                     "size": rnd_list(p.size, 4)} for p in plan.portals],
        "signs": [s.id for s, _ in all_signs(plan)],
        # "name" as the layout or catalog wrote it (analytics match on it); "names" for shoppers of either language.
        "zones": [{"name": z.name, "names": names(z.name), "bounds": rnd_list(z.bounds, 4)} for z in plan.zones],
        "walkable": walkable,
        "bounds": {"min": [rnd(-hx, 4), 0.0, rnd(-hz, 4)], "max": [rnd(hx, 4), rnd(plan.wall_height, 4), rnd(hz, 4)]},
        "stats": {
            "nodes": len(ctx.doc.gltf["nodes"]),
            "draw_calls": ctx.draw_calls,
            "triangles": ctx.triangles,
            "bytes": len(ctx.glb),
            "products": len(products),
        },
        "unplaced": [{"sku": u.sku, "reason": u.reason} for u in plan.unplaced],
    }
