"""The built-in kit (``assets/kit/``) read into meshes, and kit instances baked into one vertex-coloured mesh.

Each kit GLB (written by ``assets/make_kit.py``) holds a unit model: centred on X/Z, bottom at y = 0, largest
side 1, front +Z. Its ``body`` primitive is what a product's colour tints; its ``trim`` primitive keeps its own
linear vertex colours. The kit is read once per process through ``resources.assets_dir()`` and shared by every
build; a kit that cannot be read raises ``BuilderError`` (the build step then falls back to placeholders).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.assets.glb import parse_container
from storefront_builder.assets.gltf_data import Data, collect_arrays, load_data
from storefront_builder.assets.report import Reject
from storefront_builder.errors import BuilderError
from storefront_builder.geometry.batch import bake_instances
from storefront_builder.geometry.mesh import MeshData, merge, unit_normals, with_color
from storefront_builder.resources import assets_dir

Vec3 = tuple[float, float, float]
RGBA = tuple[int, int, int, int]
WHITE: RGBA = (255, 255, 255, 255)


@dataclass(frozen=True)
class KitModel:
    """One kit model: the tintable body, the fixed-colour trim, its own body colour (linear 8-bit)."""

    name: str
    body: MeshData
    trim: MeshData | None
    colour: RGBA
    own_colour: bool
    extent: Vec3
    merged: MeshData  # body in white vertex colours + trim: one primitive, tinted whole by an instance colour

    @property
    def triangles(self) -> int:
        return self.merged.triangle_count


def load_kit(folder: Path | None = None) -> dict[str, KitModel]:
    """Every model ``kit.json`` in ``folder`` (default ``assets/kit/``) lists, by name (read once per process)."""
    return _load(folder or assets_dir() / "kit")


@cache
def _load(folder: Path) -> dict[str, KitModel]:
    try:
        index = json.loads((folder / "kit.json").read_text("utf-8"))
        return {entry["name"]: _model(entry, (folder / entry["file"]).read_bytes()) for entry in index["models"]}
    except (OSError, ValueError, KeyError, TypeError, Reject) as exc:
        raise BuilderError(f"the asset kit in {folder} cannot be read: {type(exc).__name__}: {exc}") from exc


def kit_ident(folder: Path | None = None) -> str:
    """A digest of the kit's files: part of a scene's content hash, since another kit draws another scene."""
    return _ident(folder or assets_dir() / "kit")


@cache
def _ident(folder: Path) -> str:
    digest = hashlib.sha256()
    try:
        for path in sorted(folder.iterdir()):
            if path.suffix in (".glb", ".json"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return "no-kit"
    return digest.hexdigest()[:16]


def _model(entry: dict[str, Any], glb: bytes) -> KitModel:
    container = parse_container(glb)
    data = load_data(container, collect_arrays(container.doc))
    parts: dict[str, MeshData] = {}
    colour: RGBA = WHITE
    for prim in container.doc["meshes"][0]["primitives"]:
        material = container.doc["materials"][prim["material"]]
        parts[material["name"]] = _primitive(data, prim)
        if material["name"] == "body":
            factor = material["pbrMetallicRoughness"]["baseColorFactor"]
            colour = (round(factor[0] * 255), round(factor[1] * 255), round(factor[2] * 255), 255)
    body, trim = parts["body"], parts.get("trim")
    if trim is not None and trim.colors is None:
        raise ValueError(f"kit model {entry['name']!r}: its trim has no vertex colours")
    merged = merge([with_color(body, WHITE), *([trim] if trim is not None else [])])
    extent = merged.positions.max(0) - merged.positions.min(0)
    return KitModel(entry["name"], body, trim, colour, entry["without_colour_option"] == "own colour",
                    (float(extent[0]), float(extent[1]), float(extent[2])), merged)


def _primitive(data: Data, prim: dict[str, Any]) -> MeshData:
    def array(index: int) -> npt.NDArray[Any]:
        values = data.accessors[index].array()
        if values is None:
            raise ValueError(f"kit accessor {index} is not a packed array")
        return values

    attributes = prim["attributes"]
    positions = array(attributes["POSITION"]).astype(np.float32)
    normals = unit_normals(array(attributes["NORMAL"]))
    indices = array(prim["indices"]).reshape(-1, 3).astype(np.uint32)
    colors = array(attributes["COLOR_0"]).astype(np.uint8) if "COLOR_0" in attributes else None
    return MeshData(positions, normals, indices, None, colors)


def fit_scales(model: KitModel, sizes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per row of ``sizes`` (K×3), the uniform scale that fits the model inside it, as K×3 (aspect kept)."""
    extent = np.maximum(np.asarray(model.extent, np.float64), 1e-9)
    scale = (sizes / extent).min(axis=1)
    return np.repeat(scale[:, None], 3, axis=1)


def bake_kit(model: KitModel, translations: npt.NDArray[np.float64], yaw_deg: npt.NDArray[np.float64],
             scales: npt.NDArray[np.float64], tints: npt.NDArray[np.uint8], feature_ids: list[int]) -> MeshData:
    """Every instance of ``model`` in world space, body vertices in its instance's tint, trim in its own colours."""
    body = bake_instances(model.body, translations, yaw_deg, scales, colors=tints, feature_ids=feature_ids)
    if model.trim is None or model.trim.colors is None:
        return body
    trim = bake_instances(model.trim, translations, yaw_deg, scales, feature_ids=feature_ids)
    colours = np.tile(model.trim.colors, (len(feature_ids), 1))
    return merge([body, MeshData(trim.positions, trim.normals, trim.indices, None, colours, trim.feature_ids)])
