"""Merchant asset validation: 3D models (GLB/glTF) and product images, bytes in, AssetReport out."""

from storefront_builder.assets.report import CODES, AssetIssue, AssetReport
from storefront_builder.assets.validate import raise_for_report, validate_image, validate_model

__all__ = ["CODES", "AssetIssue", "AssetReport", "raise_for_report", "validate_image", "validate_model"]
