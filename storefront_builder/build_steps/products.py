"""Steps ``product_meshes`` (visible, batched geometry) and ``product_nodes`` (one pickable node per product).

Visible geometry never costs a draw call per product: placeholders are instanced per (shape, colour),
image cards are baked per atlas page, merchant models are instanced per model. Groups beyond the budget are
baked into one vertex-coloured mesh. Every instance and baked vertex carries ``_FEATURE_ID_0`` = the
product's feature id (its index in the manifest's ``features`` list) for picking on batched geometry.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from storefront_builder.build_steps.context import MODEL_BUDGET, PLACEHOLDER_BUDGET, BuildContext
from storefront_builder.geometry.batch import bake_instances
from storefront_builder.geometry.materials import category_material, color8
from storefront_builder.geometry.mesh import MeshData, merge
from storefront_builder.geometry.models import fit_scale
from storefront_builder.geometry.placeholders import card, placeholder
from storefront_builder.gltf.writer import rnd, rnd_list
from storefront_builder.plan import PlacedProduct

# Visible products are a little smaller than their slot so neighbours read as separate items.
VISUAL_FILL = np.array([0.92, 0.97, 0.92])


def _arrays(items: list[tuple[int, PlacedProduct]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    pos = np.array([p.position for _, p in items], np.float64)
    yaw = np.array([p.rotation_y for _, p in items], np.float64)
    size = np.array([p.size for _, p in items], np.float64)
    return pos, yaw, size, [i for i, _ in items]


def product_meshes(ctx: BuildContext) -> None:
    """Draw every placed product as a model, an image card or its category placeholder."""
    parent = ctx.group("products")
    placeholders: dict[tuple[str, str], list[tuple[int, PlacedProduct]]] = defaultdict(list)
    cards: dict[int, list[tuple[int, PlacedProduct]]] = defaultdict(list)
    models: dict[str, list[tuple[int, PlacedProduct]]] = defaultdict(list)
    for p in ctx.plan.products:
        fid = ctx.feature_ids.get(p.sku)
        if fid is None:
            continue
        if p.model_ref and p.model_ref in ctx.models:
            models[p.model_ref].append((fid, p))
            ctx.representation[p.sku] = "model"
        elif p.image_ref and p.image_ref in ctx.image_cells:
            cards[ctx.image_cells[p.image_ref][0]].append((fid, p))
            ctx.representation[p.sku] = "image"
        else:
            placeholders[(p.shape, category_material(p.category))].append((fid, p))
            ctx.representation[p.sku] = "placeholder"
    baked: list[MeshData] = []
    ordered = sorted(placeholders.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for n, ((shape, mat), items) in enumerate(ordered):
        pos, yaw, size, fids = _arrays(items)
        # All groups fit the budget, or the biggest ones are instanced and one draw is kept for the rest.
        if len(ordered) <= PLACEHOLDER_BUDGET or n < PLACEHOLDER_BUDGET - 1:
            ctx.emit_instanced(f"placeholders:{shape}:{mat}", {mat: placeholder(shape)}, parent=parent,
                               translations=pos, yaw_deg=yaw, scales=size * VISUAL_FILL, feature_ids=fids)
        else:
            tint = np.tile(np.array(color8(mat), np.uint8), (len(items), 1))
            baked.append(bake_instances(placeholder(shape), pos, yaw, size * VISUAL_FILL,
                                        colors=tint, feature_ids=fids))
    for page, items in sorted(cards.items()):
        pos, yaw, size, fids = _arrays(items)
        rects = [ctx.image_cells[p.image_ref or ""][1] for _, p in items]
        mesh = bake_instances(card(), pos, yaw, size * VISUAL_FILL, feature_ids=fids, uv_rects=rects)
        ctx.emit(f"cards:atlas{page}", {f"atlas:atlas{page}": [mesh]}, parent=parent)
    for n, (ref, items) in enumerate(sorted(models.items(), key=lambda kv: (-len(kv[1]), kv[0]))):
        model = ctx.models[ref]
        pos, yaw, size, fids = _arrays(items)
        scale = np.array([[fit_scale(model, s)] * 3 for s in size])
        if n < MODEL_BUDGET:
            ctx.emit_instanced(f"model:{ref}", {"model": model}, parent=parent, translations=pos,
                               yaw_deg=yaw, scales=scale, feature_ids=fids)
        else:
            m = bake_instances(model, pos, yaw, scale, feature_ids=fids)
            colors = None if model.colors is None else np.tile(model.colors, (len(items), 1))
            baked.append(MeshData(m.positions, m.normals, m.indices, None, colors, m.feature_ids))
    if baked:
        ctx.emit("products:baked", {"baked": [merge(baked)]}, parent=parent)


def assign_features(ctx: BuildContext) -> None:
    """Give every product a feature id (plan order); later duplicates of a SKU are skipped with a warning."""
    for p in ctx.plan.products:
        if p.sku in ctx.feature_ids:
            ctx.warnings.append(f"duplicate SKU {p.sku!r} in the plan: slot {p.slot} skipped")
            continue
        ctx.feature_ids[p.sku] = len(ctx.feature_ids)


def product_nodes(ctx: BuildContext) -> None:
    """One mesh-less node per product (``product:{sku}``) with its pick box, plus a price-tag anchor child."""
    parent = ctx.group("products")
    store = ctx.plan.store_id
    seen: set[str] = set()
    for p in ctx.plan.products:
        if p.sku in seen or p.sku not in ctx.feature_ids:
            continue
        seen.add(p.sku)
        node: dict[str, Any] = {
            "name": f"product:{p.sku}",
            "translation": rnd_list(p.position, 4),
            # The pick box is [w, h, d] with its bottom face centred on the node origin.
            "extras": {"vrstore": {"sku": p.sku, "store": store, "slot": p.slot,
                                   "pick": rnd_list(p.size, 4), "feature": ctx.feature_ids[p.sku]}},
        }
        if p.rotation_y % 360:
            half = np.radians(p.rotation_y) / 2
            node["rotation"] = [0.0, rnd(np.sin(half), 7), 0.0, rnd(np.cos(half), 7)]
        index = ctx.doc.add_node(node, parent=parent)
        # Shelf-edge label position: front of the slot, at its base; the client draws the live price here.
        ctx.doc.add_node({"name": f"tag:{p.sku}", "translation": [0.0, 0.0, rnd(p.size[2] / 2 + 0.01, 4)],
                          "extras": {"vrstore": {"sku": p.sku, "tag": "price"}}}, parent=index)
