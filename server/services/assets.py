"""Product models and images: which uploads are accepted, their media types, and which stored file a product
shows (the files themselves live in Storage).

Both are judged by their bytes, never by what the uploader declared: an image is stored and served as the type
its content is, and a model is accepted only when the scene build can use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from server.persistence.tables import Asset, Store
from server.persistence.tables import Product as ProductRow
from server.services.catalog import product_by_sku
from storefront_builder.assets.glb import GLB_MAGIC
from storefront_builder.assets.image import sniff_image
from storefront_builder.assets.report import AssetIssue, AssetReport

AssetKind = Literal["model", "image"]
GLB_MEDIA_TYPE = "model/gltf-binary"
IMAGE_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
UTF8_BOM = b"\xef\xbb\xbf"


def check_upload(path: str, kind: AssetKind) -> AssetReport:
    """The builder's checks of an uploaded file and, for a model, whether the scene build can load it.

    Runs in the build pool (CPU-bound). A model must be binary glTF: the build reads nothing else, though the
    validator also understands .gltf JSON. Codes beyond the validator's: ``json_bom`` and the build loader's
    (``model_unreadable``, ``model_empty``, ``model_too_large``, ``model_invalid``).
    """
    from storefront_builder.assets.validate import validate_image, validate_model

    data = Path(path).read_bytes()
    if kind == "image":
        return validate_image(data)
    if data[:4] != GLB_MAGIC:
        return _refused(AssetReport(kind="model", bytes=len(data)), "not_glb", _not_glb(data))
    report = validate_model(data)
    if report.ok and data[20:23] == UTF8_BOM:  # the validator checked that the first chunk, at byte 20, is JSON
        return _refused(report, "json_bom", "the GLB's JSON chunk starts with a UTF-8 byte order mark, which glTF 2.0 "
                                            "forbids and the store build cannot read; export the model again")
    if report.ok:
        from storefront_builder.errors import AssetError
        from storefront_builder.geometry.models import load_model

        try:
            load_model(data)  # exactly what the build does with it (build_steps/assets.py)
        except AssetError as exc:
            for code in exc.codes:
                report.errors.append(AssetIssue(code=code, message=f"the store build cannot use this model: {exc}"))
            report.ok = False
    return report


def _not_glb(data: bytes) -> str:
    if data.removeprefix(UTF8_BOM).lstrip(b" \t\r\n")[:1] == b"{":
        return "this is glTF JSON (.gltf); the store build reads binary glTF only: export or convert it to .glb"
    return "not a binary glTF (.glb) file: it does not start with the 'glTF' magic"


def _refused(report: AssetReport, code: str, message: str) -> AssetReport:
    report.errors.append(AssetIssue(code=code, message=message))
    report.ok = False
    return report


def media_type(report: AssetReport) -> str:
    """The type to record for an accepted file: what the checks found in its bytes."""
    return GLB_MEDIA_TYPE if report.kind == "model" else IMAGE_MEDIA_TYPES[report.format or ""]


def image_media_type(data: bytes) -> str:
    """The type to serve a stored image as, judged by its bytes (rows of older servers hold the uploader's claim)."""
    return IMAGE_MEDIA_TYPES.get(sniff_image(data) or "", "application/octet-stream")


async def attach(db: AsyncSession, store: Store, sku: str, kind: AssetKind, *, sha256: str, media_type: str,
                 size: int) -> ProductRow:
    """Record the validated file (once per content hash) and make it the product's model or image."""
    row = await product_by_sku(db, store, sku)
    asset = await db.get(Asset, sha256)
    if asset is None:
        db.add(Asset(sha256=sha256, kind=kind, media_type=media_type, size=size))
    else:
        asset.media_type = media_type  # an older server recorded what the uploader declared
    if kind == "model":
        row.model_sha256 = sha256
    else:
        row.image_sha256 = sha256
    return row


async def product_image(db: AsyncSession, store: Store, sku: str, *, shelf_only: bool = False) -> Asset | None:
    """The product's image record, if it has one (``shelf_only``: of a product shoppers may see, else 404)."""
    row = await product_by_sku(db, store, sku, shelf_only=shelf_only)
    return await db.get(Asset, row.image_sha256) if row.image_sha256 else None
