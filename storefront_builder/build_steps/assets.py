"""Steps ``images_atlas`` and ``merchant_models``: decode what the merchant uploaded, once per asset."""

from __future__ import annotations

from storefront_builder.build_steps.context import ATLAS_PAGES, BuildContext
from storefront_builder.errors import AssetError
from storefront_builder.geometry import atlas
from storefront_builder.geometry.materials import texture_material
from storefront_builder.geometry.models import load_model


def images_atlas(ctx: BuildContext) -> None:
    """Pack every referenced product image into ≤ ``ATLAS_PAGES`` JPEG atlases and embed them."""
    keys = [p.image_ref for p in ctx.plan.products if p.image_ref and p.model_ref not in ctx.models]
    if not keys:
        return
    packed = atlas.pack(keys, ctx.assets, max_pages=ATLAS_PAGES)
    ctx.warnings.extend(packed.warnings)
    for page, data in enumerate(packed.pages):
        key = f"atlas{page}"
        ctx.doc.add_texture(key, data, "image/jpeg")
        ctx.material(texture_material(key))
    ctx.image_cells.update(packed.cells)


def merchant_models(ctx: BuildContext) -> None:
    """Load each referenced merchant GLB once; a model that fails falls back to the placeholder."""
    for key in sorted({p.model_ref for p in ctx.plan.products if p.model_ref}):
        data = ctx.assets.get(key)
        if data is None:
            ctx.warnings.append(f"model {key!r} is missing from the assets; using a placeholder")
            continue
        try:
            ctx.models[key] = load_model(data)
        except AssetError as exc:
            ctx.warnings.append(f"model {key!r} rejected ({', '.join(exc.codes)}): {exc}; using a placeholder")
