"""JSON Schema of the native JSON catalog, generated from the pydantic models.

The committed copy lives at ``storefront_builder/schemas/catalog.schema.json``; regenerate it with
``python -c "from storefront_builder.catalog.schema import write_catalog_schema; write_catalog_schema()"``
(a test fails when the two differ).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storefront_builder.catalog.models import MAX_PRICE_MINOR, Product

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "catalog.schema.json"
SCHEMA_ID = "https://vrstore.invalid/schemas/catalog.schema.json"


def catalog_json_schema() -> dict[str, Any]:
    """The schema of ``{"currency": ..., "products": [...]}`` or a bare product list."""
    product = Product.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = product.pop("$defs", {})
    minor = {"type": "integer", "minimum": 0, "maximum": MAX_PRICE_MINOR,
             "description": "Amount in minor units of the catalog's currency (KRW has 0 decimals)"}
    money = {"anyOf": [minor, {"$ref": "#/$defs/Money"}]}
    props = product["properties"]
    props["price"] = {**money, "description": "Regular price: minor units, or {amount, currency}"}
    props["sale_price"] = {"anyOf": [minor, {"$ref": "#/$defs/Money"}, {"type": "null"}], "default": None,
                           "description": "Sale price, at most the price"}
    defs["Product"] = product
    products = {"type": "array", "items": {"$ref": "#/$defs/Product"}, "maxItems": 100_000}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "vrstore catalog",
        "description": "Native JSON catalog: an object with a currency and products, or a bare product list.",
        "anyOf": [
            {"type": "object", "additionalProperties": False, "required": ["products"], "properties": {
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "KRW"},
                "products": products,
            }},
            products,
        ],
        "$defs": dict(sorted(defs.items())),
    }


def render_catalog_schema() -> str:
    """The schema as the committed file's exact text."""
    return json.dumps(catalog_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_catalog_schema() -> None:
    """Regenerate the committed schema file (a maintainer's script step, the package's only file write)."""
    SCHEMA_PATH.write_text(render_catalog_schema(), encoding="utf-8")
