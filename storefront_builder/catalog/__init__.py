"""Catalog models and importers."""

from storefront_builder.catalog.export import export_csv, export_report_csv
from storefront_builder.catalog.importer import FORMATS, import_catalog
from storefront_builder.catalog.models import (
    Dimensions,
    ImportResult,
    Money,
    Product,
    RowError,
    currency_exponent,
)
from storefront_builder.catalog.schema import catalog_json_schema

__all__ = [
    "FORMATS",
    "Dimensions",
    "ImportResult",
    "Money",
    "Product",
    "RowError",
    "catalog_json_schema",
    "currency_exponent",
    "export_csv",
    "export_report_csv",
    "import_catalog",
]
