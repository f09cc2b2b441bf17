"""Catalog models and importers."""

from storefront_builder.catalog.export import export_csv, export_report_csv
from storefront_builder.catalog.groups import CatalogSummary, group_products, shelf_products, summarise
from storefront_builder.catalog.importer import FORMATS, import_catalog
from storefront_builder.catalog.models import (
    Dimensions,
    HiddenRow,
    ImportResult,
    Money,
    Product,
    RowError,
    currency_exponent,
)
from storefront_builder.catalog.schema import catalog_json_schema

__all__ = [
    "FORMATS",
    "CatalogSummary",
    "Dimensions",
    "HiddenRow",
    "ImportResult",
    "Money",
    "Product",
    "RowError",
    "catalog_json_schema",
    "currency_exponent",
    "export_csv",
    "export_report_csv",
    "group_products",
    "import_catalog",
    "shelf_products",
    "summarise",
]
