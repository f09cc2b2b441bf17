"""Deterministic sample catalogs with Korean names and KRW prices, for the demo festival, tests and benchmarks.

The seeds (base products per store kind) are data in ``assets/demo/catalog-seeds.yaml``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import yaml

from storefront_builder.catalog.models import Dimensions, Money, Product
from storefront_builder.resources import assets_dir

SEEDS = "demo/catalog-seeds.yaml"  # under assets/: base products per store kind and the variant prefixes


@dataclass(frozen=True)
class Seed:
    category: list[str]
    name_ko: str
    name_en: str
    price: int
    size_m: tuple[float, float, float]


@cache
def _seeds() -> tuple[dict[str, list[Seed]], list[tuple[str, str]]]:
    doc = yaml.safe_load((assets_dir() / SEEDS).read_text(encoding="utf-8"))
    kinds = {kind: [Seed(group["category"], item["name_ko"], item["name_en"], item["price"], tuple(item["size_m"]))
                    for group in groups for item in group["products"]]
             for kind, groups in doc["kinds"].items()}
    return kinds, [(v["ko"], v["en"]) for v in doc["variants"]]


def _prefixed(prefix: str, name: str) -> str:
    return f"{prefix} {name}" if prefix else name


def sample_catalog(kind: str, count: int, *, seed: int = 7, prefix: str | None = None) -> list[Product]:
    """``count`` products for a store of ``kind`` (brand_shop and others fall back to the department store)."""
    rng = random.Random(f"{kind}:{seed}")
    kinds, variants = _seeds()
    base = kinds.get(kind, kinds["department_store"])
    code = prefix or kind[:3].upper()
    products = []
    for n in range(count):
        item = base[n % len(base)]
        variant = (n // len(base)) % len(variants)
        ko_prefix, en_prefix = variants[variant]
        scale = 1 + 0.1 * variant
        amount = max(100, round(item.price * scale * rng.uniform(0.9, 1.1), -2))
        size = item.size_m
        on_sale = rng.random() < 0.3
        products.append(Product(
            sku=f"{code}-{n + 1:05d}",
            name_ko=_prefixed(ko_prefix, item.name_ko),
            name_en=_prefixed(en_prefix, item.name_en),
            description=f"{item.name_ko} — 페스타 특가 상품",
            category=list(item.category),
            price=Money(amount=int(amount), currency="KRW"),
            sale_price=Money(amount=int(round(amount * 0.8, -2)), currency="KRW") if on_sale else None,
            stock=rng.randint(0, 60) if rng.random() < 0.9 else 0,
            dimensions=Dimensions(width=size[0], height=size[1], depth=size[2]),
            rank=n,
        ))
    return products


def sample_catalog_json(kind: str, count: int, *, seed: int = 7, prefix: str | None = None) -> str:
    """The sample catalog as vrstore's native JSON catalog file."""
    import json

    items = [p.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for p in
             sample_catalog(kind, count, seed=seed, prefix=prefix)]
    return json.dumps({"currency": "KRW", "products": items}, ensure_ascii=False)
