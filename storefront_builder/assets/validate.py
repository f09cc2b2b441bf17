"""Merchant asset validation entry points: every input, however hostile, yields an AssetReport.

Checks run cheapest first (size, container, JSON size, structure) so a hostile file is rejected before
anything expensive (numpy reads, image decoding) happens; the first failed check ends validation.
"""

from __future__ import annotations

import numpy as np

from storefront_builder.assets.glb import parse_container
from storefront_builder.assets.gltf_data import collect_arrays, load_data
from storefront_builder.assets.gltf_scene import (
    check_images,
    check_meshes,
    check_nodes,
    count_triangles,
    world_bounds,
)
from storefront_builder.assets.image import validate_image
from storefront_builder.assets.report import MAX_MODEL_BYTES, MAX_NODES, AssetIssue, AssetReport, Reject
from storefront_builder.errors import AssetError

# Extensions whose data we either check or that cannot hide geometry/URIs from the checks above.
SUPPORTED_REQUIRED = frozenset({
    "KHR_materials_unlit", "KHR_materials_emissive_strength", "KHR_materials_transmission",
    "KHR_materials_ior", "KHR_materials_specular", "KHR_materials_clearcoat", "KHR_materials_sheen",
    "KHR_texture_transform", "KHR_mesh_quantization", "EXT_mesh_gpu_instancing", "EXT_texture_webp",
})

__all__ = ["raise_for_report", "validate_image", "validate_model"]


def _check_model(data: bytes, report: AssetReport) -> None:
    if len(data) > MAX_MODEL_BYTES:
        raise Reject("too_large", f"model is {len(data):,} bytes; the limit is {MAX_MODEL_BYTES:,}")
    container = parse_container(data)
    report.format = container.format
    report.warnings.extend(container.warnings)
    doc = container.doc
    asset = doc.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2."):
        raise Reject("unsupported_format", f"glTF asset.version {version!r}; only 2.x is supported")
    required = doc.get("extensionsRequired", [])
    if not isinstance(required, list):
        raise Reject("invalid_gltf", "extensionsRequired must be a list")
    unknown = sorted(str(e) for e in required if e not in SUPPORTED_REQUIRED)
    if unknown:
        raise Reject("unsupported_format", f"required extensions we cannot validate: {', '.join(unknown)}")
    arrays = collect_arrays(doc)
    report.nodes = len(arrays["nodes"])
    if report.nodes > MAX_NODES:  # before any buffer is touched: cheap rejection
        raise Reject("too_many_nodes", f"{report.nodes:,} nodes; the limit is {MAX_NODES:,}")
    loaded = load_data(container, arrays)
    mesh_triangles = check_meshes(loaded)
    roots_list = check_nodes(loaded)
    report.triangles = count_triangles(loaded, mesh_triangles)
    report.textures = check_images(loaded, report.warnings)
    with np.errstate(all="ignore"):  # huge-but-finite transforms may overflow to inf: bounds become None
        report.bounds = world_bounds(loaded, roots_list)


def validate_model(data: bytes) -> AssetReport:
    """Validate a merchant 3D model (GLB, or .gltf JSON with embedded data URIs only).

    Never raises: problems are errors in the report with stable codes (see ``report.CODES``); an
    unexpected exception becomes ``malformed``.
    """
    report = AssetReport(kind="model", bytes=len(data))
    try:
        _check_model(data, report)
    except Reject as exc:
        report.errors.append(AssetIssue(code=exc.code, message=exc.message))
    except RecursionError:
        report.errors.append(AssetIssue(code="bad_json", message="glTF JSON is nested too deeply"))
    except Exception as exc:  # the validator answers hostile input with a report, never a crash
        report.errors.append(AssetIssue(code="malformed", message=f"{type(exc).__name__}: {exc}"))
    report.ok = not report.errors
    return report


def raise_for_report(report: AssetReport) -> None:
    """Raise :class:`AssetError` carrying the report's codes when it has errors (for callers that prefer
    exceptions, e.g. a build step); do nothing for a passing report."""
    if report.errors:
        summary = "; ".join(f"{e.code}: {e.message}" for e in report.errors)
        raise AssetError(f"{report.kind} rejected: {summary}", report.codes())
