"""Deterministic sample catalogs with Korean names and KRW prices, for the demo festival, tests and benchmarks.

The seeds (base products per store kind) are data in ``assets/demo/catalog-seeds.yaml``. With ``variants=True``
(the demo festival) seeds that list colours (and sizes) become variant groups with ``색상`` and ``사이즈`` options;
without it the catalog is the one tests and benchmarks have always had, one product per row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import yaml

from storefront_builder.catalog.models import Dimensions, Money, Product
from storefront_builder.resources import assets_dir

SEEDS = "demo/catalog-seeds.yaml"  # under assets/: base products per store kind and the variant prefixes
COLOR, SIZE = "색상", "사이즈"  # the option names of the sample variants


@dataclass(frozen=True)
class Seed:
    category: list[str]
    name_ko: str
    name_en: str
    price: int
    size_m: tuple[float, float, float]
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()

    def options(self, turn: int = 0) -> list[dict[str, str]]:
        """One option set per variant (colour-major, the colours turned by ``turn`` so that the groups of one seed
        lead with different colours: the shelf shows a group's first variant), or one empty set without variants."""
        if not self.colors:
            return [{}]
        k = turn % len(self.colors)
        colors = self.colors[k:] + self.colors[:k]
        return [{COLOR: c, SIZE: s} if s else {COLOR: c} for c in colors for s in self.sizes or ("",)]


@cache
def _seeds() -> tuple[dict[str, list[Seed]], list[tuple[str, str]]]:
    doc = yaml.safe_load((assets_dir() / SEEDS).read_text(encoding="utf-8"))
    kinds = {kind: [Seed(group["category"], item["name_ko"], item["name_en"], item["price"], tuple(item["size_m"]),
                         tuple(item.get("colors", ())), tuple(item.get("sizes", ())))
                    for group in groups for item in group["products"]]
             for kind, groups in doc["kinds"].items()}
    return kinds, [(v["ko"], v["en"]) for v in doc["variants"]]


def _prefixed(prefix: str, name: str) -> str:
    return f"{prefix} {name}" if prefix else name


def sample_catalog(kind: str, count: int, *, seed: int = 7, prefix: str | None = None,
                   variants: bool = False) -> list[Product]:
    """``count`` catalog rows for a store of ``kind`` (brand_shop and others fall back to the department store).

    ``variants``: seeds with colours become variant groups, a row per colour (× size) sharing ``variant_group``;
    the rows still number ``count`` (the last group may be cut short).
    """
    rng = random.Random(f"{kind}:{seed}")
    kinds, prefixes = _seeds()
    base = kinds.get(kind, kinds["department_store"])
    code = prefix or kind[:3].upper()
    products: list[Product] = []
    n = 0
    while len(products) < count:
        item = base[n % len(base)]
        variant = (n // len(base)) % len(prefixes)
        ko_prefix, en_prefix = prefixes[variant]
        scale = 1 + 0.1 * variant
        amount = int(max(100, round(item.price * scale * rng.uniform(0.9, 1.1), -2)))
        size = item.size_m
        on_sale = rng.random() < 0.3
        options = item.options(n // len(base)) if variants else [{}]
        for option in options[:count - len(products)]:
            row = len(products)
            products.append(Product(
                sku=f"{code}-{row + 1:05d}",
                name_ko=_prefixed(ko_prefix, item.name_ko),
                name_en=_prefixed(en_prefix, item.name_en),
                description=f"{item.name_ko} — 페스타 특가 상품",
                category=list(item.category),
                price=Money(amount=amount, currency="KRW"),
                sale_price=Money(amount=int(round(amount * 0.8, -2)), currency="KRW") if on_sale else None,
                stock=rng.randint(0, 60) if rng.random() < 0.9 else 0,
                dimensions=Dimensions(width=size[0], height=size[1], depth=size[2]),
                rank=row,
                variant_group=f"{code}-G{n + 1:05d}" if option else None,
                options=option,
            ))
        n += 1
    return products


def sample_look(product: Product) -> tuple[str, tuple[int, int, int]]:
    """The kit model and linear 8-bit tint the store builder draws ``product`` with (its colour option, else its
    category's colour, or the model's own for fresh food and plants): what the demo's product photo shows.

    The same rule as ``build_steps/products.py`` (``kit_model`` on the display name, ``_tint``), restated here
    because the builder applies it to placed products; keep the two in step.
    """
    from storefront_builder.geometry.kit_models import load_kit
    from storefront_builder.geometry.materials import category_material, color8
    from storefront_builder.kit import FALLBACK, kit_model
    from storefront_builder.kit_colors import color_option, option_tint
    from storefront_builder.layout.shapes import product_shape

    kit = load_kit()
    name = kit_model(product.category, product.display_name, product_shape(product))
    model = kit[name] if name in kit else kit[FALLBACK]
    if color_option(product.options) is not None:
        rgba = option_tint(product.options) or model.colour
    elif model.own_colour:
        rgba = model.colour
    else:
        rgba = color8(category_material(product.top_category))
    return model.name, (rgba[0], rgba[1], rgba[2])


def sample_image_name(product: Product) -> str:
    """The file in ``assets/demo/images/`` that shows ``product``: ``<kit model>-<tint as hex>.jpg``."""
    model, (r, g, b) = sample_look(product)
    return f"{model}-{r:02x}{g:02x}{b:02x}.jpg"


def sample_catalog_json(kind: str, count: int, *, seed: int = 7, prefix: str | None = None,
                        variants: bool = False) -> str:
    """The sample catalog as vrstore's native JSON catalog file."""
    import json

    items = [p.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for p in
             sample_catalog(kind, count, seed=seed, prefix=prefix, variants=variants)]
    return json.dumps({"currency": "KRW", "products": items}, ensure_ascii=False)
