"""Steps ``assign_features`` and ``product_meshes`` (visible, batched geometry; anchors are in the manifest).

Visible geometry never costs a draw call per product: merchant models are instanced per model, image cards
baked per atlas page, and every other product is drawn as a model of the built-in kit (``assets/kit/``, chosen
by ``storefront_builder.kit`` from its category, name and shape), instanced per kit model and tinted per
instance by its colour option or its category's colour. Groups beyond the budget are baked into one
vertex-coloured mesh. Every instance and baked vertex carries ``_FEATURE_ID_0`` = the product's feature id (its
index in the manifest's ``features`` list) for picking on batched geometry.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from storefront_builder.build_steps.context import MODEL_BUDGET, PLACEHOLDER_BUDGET, BuildContext
from storefront_builder.errors import BuilderError
from storefront_builder.geometry.batch import bake_instances
from storefront_builder.geometry.kit_models import KitModel, bake_kit, fit_scales, load_kit
from storefront_builder.geometry.materials import category_material, color8
from storefront_builder.geometry.mesh import MeshData, merge
from storefront_builder.geometry.models import fit_scale
from storefront_builder.geometry.placeholders import card, placeholder
from storefront_builder.kit import FALLBACK, for_slot, kit_model
from storefront_builder.kit_colors import color_option, option_tint
from storefront_builder.plan import PlacedProduct

# Visible products are a little smaller than their slot so neighbours read as separate items.
VISUAL_FILL = np.array([0.92, 0.97, 0.92])
# Past this many baked kit triangles the remaining (rarest) models are baked as plain boxes: a store using every
# kit model at once must not turn into a file of millions of unique triangles.
KIT_BAKED_TRIANGLES = 250_000


def _arrays(items: list[tuple[int, PlacedProduct]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    pos = np.array([p.position for _, p in items], np.float64)
    yaw = np.array([p.rotation_y for _, p in items], np.float64)
    size = np.array([p.size for _, p in items], np.float64)
    return pos, yaw, size, [i for i, _ in items]


def product_meshes(ctx: BuildContext) -> None:
    """Draw every placed product as its merchant model, its image card, or a built-in kit model."""
    parent = ctx.group("products")
    cards: dict[int, list[tuple[int, PlacedProduct]]] = defaultdict(list)
    models: dict[str, list[tuple[int, PlacedProduct]]] = defaultdict(list)
    rest: list[tuple[int, PlacedProduct]] = []
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
            rest.append((fid, p))
    baked: list[MeshData] = []
    if rest:
        try:
            kit = load_kit()
        except BuilderError as exc:
            ctx.warnings.append(f"{exc}; products without a model or image are drawn as placeholders")
            _placeholders(ctx, rest, parent, baked)
        else:
            _kit_models(ctx, kit, rest, parent, baked)
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


def _kit_models(ctx: BuildContext, kit: dict[str, KitModel], items: list[tuple[int, PlacedProduct]], parent: int,
                baked: list[MeshData]) -> None:
    """Kit models, instanced per model with a per-instance tint, within ``PLACEHOLDER_BUDGET`` draw calls.

    While the budget lasts a model is drawn as two instanced nodes (its tinted body, its trim in its own colours);
    past that as one node whose instance colour tints the trim too; the rarest models past the budget are baked
    (as boxes once ``KIT_BAKED_TRIANGLES`` is reached).
    """
    sizes = {name: model.extent for name, model in kit.items()}
    category_tints: dict[str, tuple[int, int, int, int]] = {}
    groups: dict[str, list[tuple[int, PlacedProduct]]] = defaultdict(list)
    tints: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for fid, p in items:
        name = for_slot(kit_model(p.category_path or (p.category,), p.label, p.shape), p.size, sizes)
        model = kit[name] if name in kit else kit[FALLBACK]
        groups[model.name].append((fid, p))
        tints[model.name].append(_tint(p, model, category_tints))
        ctx.representation[p.sku] = "kit"
    ordered = sorted(groups, key=lambda name: (-len(groups[name]), name))
    instanced = len(ordered) if len(ordered) <= PLACEHOLDER_BUDGET else PLACEHOLDER_BUDGET - 1
    spare = PLACEHOLDER_BUDGET - instanced - (1 if len(ordered) > instanced else 0)
    baked_triangles = 0
    for n, name in enumerate(ordered):
        model = kit[name]
        pos, yaw, size, fids = _arrays(groups[name])
        scales = fit_scales(model, size * VISUAL_FILL)
        colours = np.array(tints[name], np.uint8)
        if n >= instanced:
            if baked_triangles + model.triangles * len(fids) > KIT_BAKED_TRIANGLES:
                model = kit[FALLBACK]
                scales = fit_scales(model, size * VISUAL_FILL)
            baked.append(bake_kit(model, pos, yaw, scales, colours, fids))
            baked_triangles += model.triangles * len(fids)
            continue
        split = model.trim is not None and spare > 0
        spare -= 1 if split else 0
        body = model.body if split else model.merged
        ctx.emit_instanced(f"kit:{name}", {"model": body}, parent=parent, translations=pos, yaw_deg=yaw,
                           scales=scales, feature_ids=fids, colors=colours)
        if split and model.trim is not None:
            ctx.emit_instanced(f"kit:{name}:trim", {"model": model.trim}, parent=parent, translations=pos,
                               yaw_deg=yaw, scales=scales, feature_ids=fids)


def _tint(p: PlacedProduct, model: KitModel, by_category: dict[str, tuple[int, int, int, int]]
          ) -> tuple[int, int, int, int]:
    """The product's colour option; an unknown colour name keeps the model's colour; no colour option: the
    category's colour, except for models whose own colour is the point (fruit, vegetables, plants)."""
    if color_option(p.options) is not None:
        return option_tint(p.options) or model.colour
    if model.own_colour:
        return model.colour
    if p.category not in by_category:
        by_category[p.category] = color8(category_material(p.category))
    return by_category[p.category]


def _placeholders(ctx: BuildContext, items: list[tuple[int, PlacedProduct]], parent: int,
                  baked: list[MeshData]) -> None:
    """The fallback without a kit: procedural placeholders instanced per (shape, category colour)."""
    groups: dict[tuple[str, str], list[tuple[int, PlacedProduct]]] = defaultdict(list)
    for fid, p in items:
        groups[(p.shape, category_material(p.category))].append((fid, p))
        ctx.representation[p.sku] = "placeholder"
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for n, ((shape, mat), members) in enumerate(ordered):
        pos, yaw, size, fids = _arrays(members)
        # All groups fit the budget, or the biggest ones are instanced and one draw is kept for the rest.
        if len(ordered) <= PLACEHOLDER_BUDGET or n < PLACEHOLDER_BUDGET - 1:
            ctx.emit_instanced(f"placeholders:{shape}:{mat}", {mat: placeholder(shape)}, parent=parent,
                               translations=pos, yaw_deg=yaw, scales=size * VISUAL_FILL, feature_ids=fids)
        else:
            tint = np.tile(np.array(color8(mat), np.uint8), (len(members), 1))
            baked.append(bake_instances(placeholder(shape), pos, yaw, size * VISUAL_FILL,
                                        colors=tint, feature_ids=fids))


def assign_features(ctx: BuildContext) -> None:
    """Give every product a feature id (plan order); later duplicates of a SKU are skipped with a warning."""
    for p in ctx.plan.products:
        if p.sku in ctx.feature_ids:
            ctx.warnings.append(f"duplicate SKU {p.sku!r} in the plan: slot {p.slot} skipped")
            continue
        ctx.feature_ids[p.sku] = len(ctx.feature_ids)
