"""Write the built-in asset kit: one GLB per recipe in ``assets/kit_recipes/`` plus ``assets/kit/kit.json``.

Run from the checkout: ``.venv/bin/python assets/make_kit.py [--out DIR]`` (default ``assets/kit``). The output is
byte-identical on every run: positions are rounded to 1e-5 of the model's size before normals are taken, and the
GLB and JSON are written with sorted keys in a fixed order.

Every model follows one convention, so the store builder can scale any of them into a slot with one uniform
scale: centred on X and Z, bottom at y = 0, largest side exactly 1, front towards +Z (shoes show their side).
Each GLB has one mesh with up to two primitives: ``body`` (material "body", no vertex colours; its base colour
is the model's own colour and the builder replaces it with the product's) and ``trim`` (material "trim", white,
with linear 8-bit ``COLOR_0``): soles, caps, labels, lids, everything that keeps its colour.

It also writes ``fixtures/<name>.glb``: the store builder's own fixture and sign designs at a standard size
(``kit_recipes/fixtures.py``), listed under "fixtures" in kit.json. Their convention differs: real size in
metres, footprint centred on X and Z, floor at y = 0, front towards +Z; one primitive per palette material.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from kit_recipes import RECIPES, Recipe  # noqa: E402
from kit_recipes.fixtures import PIECES, Piece, SignPiece, material, meshes  # noqa: E402
from kit_recipes.parts import Geo, Parts  # noqa: E402

from storefront_builder.geometry.materials import Material  # noqa: E402
from storefront_builder.geometry.mesh import MeshData, merge, with_color  # noqa: E402
from storefront_builder.kit import MODEL_FAMILY, served_by  # noqa: E402
from storefront_builder.kit_colors import linear8  # noqa: E402

MAX_TRIANGLES = 2000
ROUND = 5
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
COPYRIGHT = "vrstore contributors; Apache-2.0 (made for vrstore)"


def srgb(code: str) -> tuple[int, int, int]:
    return (int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16))


def normalised(parts: Parts) -> Parts:
    """Centre on X/Z, rest on y = 0, scale the largest side to 1, round positions (the determinism rule)."""
    every = np.vstack([g.v for _, g in parts])
    lo, hi = every.min(0), every.max(0)
    shift = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    scale = 1.0 / float((hi - lo).max())
    out: Parts = []
    for colour, g in parts:
        v = np.round((g.v - shift) * scale, ROUND) + 0.0  # + 0.0 turns -0.0 into 0.0
        out.append((colour, Geo(v, g.f, g.smooth)))
    return out


def split(parts: Parts) -> tuple[MeshData, MeshData | None]:
    """The body mesh (no colours) and the trim mesh (linear vertex colours), each merged into one."""
    body = merge(g.mesh() for colour, g in parts if colour is None)
    trims = [with_color(g.mesh(), linear8(srgb(colour))) for colour, g in parts if colour is not None]
    trim = merge(trims) if trims else None
    return _rounded(body), None if trim is None else _rounded(trim)


def _rounded(mesh: MeshData) -> MeshData:
    normals = np.round(mesh.normals.astype(np.float64), ROUND).astype(np.float32)
    return MeshData(mesh.positions, normals, mesh.indices, None, mesh.colors)


class Glb:
    """A minimal glTF 2.0 binary writer for one kit model (insertion-ordered buffer, sorted-key JSON)."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []

    def accessor(self, array: np.ndarray, target: int, *, bounds: bool = False, normalized: bool = False) -> int:
        arr = np.ascontiguousarray(array)
        self.blob += b"\0" * (-len(self.blob) % 4)
        self.views.append({"buffer": 0, "byteOffset": len(self.blob), "byteLength": arr.nbytes, "target": target})
        self.blob += arr.tobytes()
        width = 1 if arr.ndim == 1 else arr.shape[1]
        component = {np.dtype(np.float32): 5126, np.dtype(np.uint8): 5121, np.dtype(np.uint16): 5123}[arr.dtype]
        acc: dict[str, Any] = {"bufferView": len(self.views) - 1, "componentType": component,
                               "count": int(arr.shape[0]), "type": {1: "SCALAR", 3: "VEC3", 4: "VEC4"}[width]}
        if normalized:
            acc["normalized"] = True
        if bounds:
            acc["min"] = [float(x) for x in arr.min(0)]
            acc["max"] = [float(x) for x in arr.max(0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def primitive(self, mesh: MeshData, material: int) -> dict[str, Any]:
        attributes = {"POSITION": self.accessor(mesh.positions, ARRAY_BUFFER, bounds=True),
                      "NORMAL": self.accessor(mesh.normals, ARRAY_BUFFER)}
        if mesh.colors is not None:
            attributes["COLOR_0"] = self.accessor(mesh.colors, ARRAY_BUFFER, normalized=True)
        indices = self.accessor(mesh.indices.reshape(-1).astype(np.uint16), ELEMENT_ARRAY_BUFFER)
        return {"attributes": attributes, "indices": indices, "material": material, "mode": 4}

    def encode(self, doc: dict[str, Any]) -> bytes:
        self.blob += b"\0" * (-len(self.blob) % 4)
        doc = {**doc, "accessors": self.accessors, "bufferViews": self.views,
               "buffers": [{"byteLength": len(self.blob)}]}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        text += b" " * (-len(text) % 4)
        total = 12 + 8 + len(text) + 8 + len(self.blob)
        return b"".join([struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text,
                         struct.pack("<I4s", len(self.blob), b"BIN\0"), bytes(self.blob)])


def _material(name: str, rgba: tuple[int, int, int, int]) -> dict[str, Any]:
    factor = [round(c / 255, 4) for c in rgba]
    return {"name": name, "pbrMetallicRoughness": {"baseColorFactor": factor, "metallicFactor": 0.0,
                                                   "roughnessFactor": 0.6}}


def model_glb(recipe: Recipe, body: MeshData, trim: MeshData | None) -> bytes:
    """One node, one mesh: the body primitive (material 0) and the trim primitive (material 1) if any."""
    glb = Glb()
    materials = [_material("body", linear8(srgb(recipe.colour)))]
    primitives = [glb.primitive(body, 0)]
    if trim is not None:
        materials.append(_material("trim", (255, 255, 255, 255)))
        primitives.append(glb.primitive(trim, 1))
    return glb.encode({
        "asset": {"version": "2.0", "generator": "vrstore assets/make_kit.py", "copyright": COPYRIGHT},
        "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"name": recipe.name, "mesh": 0}],
        "meshes": [{"name": recipe.name, "primitives": primitives}],
        "materials": materials,
    })


def build(recipe: Recipe) -> tuple[bytes, dict[str, Any]]:
    """The model's GLB bytes and its kit.json entry."""
    body, trim = split(normalised(recipe.build()))
    triangles = body.triangle_count + (trim.triangle_count if trim is not None else 0)
    if triangles > MAX_TRIANGLES or body.triangle_count == 0:
        raise SystemExit(f"make_kit: {recipe.name} has {triangles} triangles ({body.triangle_count} tintable)")
    both = body.positions if trim is None else np.vstack([body.positions, trim.positions])
    extent = both.max(0) - both.min(0)
    doc = (recipe.build.__doc__ or "").strip()
    entry = {
        "name": recipe.name, "file": f"{recipe.name}.glb", "title": {"ko": recipe.ko, "en": recipe.en},
        "family": MODEL_FAMILY[recipe.name], "triangles": triangles, "tintable_triangles": body.triangle_count,
        "size": [round(float(x), 4) for x in extent], "colour": recipe.colour,
        "without_colour_option": "own colour" if recipe.own_colour else "category colour",
        "made": doc, "recipe": f"assets/kit_recipes/{recipe.build.__module__.rsplit('.', 1)[-1]}.py:"
                               f"{recipe.build.__name__}",
        "serves": served_by(recipe.name),
    }
    return model_glb(recipe, body, trim), entry


def _palette_material(m: Material) -> dict[str, Any]:
    """A builder palette material as glTF: the same factors the store builder writes."""
    out: dict[str, Any] = {"name": m.name, "pbrMetallicRoughness": {
        "baseColorFactor": list(m.color), "metallicFactor": m.metallic, "roughnessFactor": m.roughness}}
    if any(m.emissive):
        out["emissiveFactor"] = list(m.emissive)
    if m.blend:
        out["alphaMode"] = "BLEND"
    if m.double_sided:
        out["doubleSided"] = True
    return out


def build_fixture(piece: Piece | SignPiece) -> tuple[bytes, dict[str, Any]]:
    """A fixture piece's GLB (real size, positions rounded to 1e-5 m) and its kit.json entry."""
    glb = Glb()
    materials: list[dict[str, Any]] = []
    primitives: list[dict[str, Any]] = []
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    triangles = 0
    for name, items in meshes(piece.build()):
        mesh = merge(items)
        positions = (np.round(mesh.positions.astype(np.float64), ROUND) + 0.0).astype(np.float32)
        mesh = _rounded(MeshData(positions, mesh.normals, mesh.indices))
        lo, hi = np.minimum(lo, positions.min(0)), np.maximum(hi, positions.max(0))
        triangles += mesh.triangle_count
        primitives.append(glb.primitive(mesh, len(materials)))
        materials.append(_palette_material(material(name)))
    if triangles > MAX_TRIANGLES:
        raise SystemExit(f"make_kit: fixture {piece.name} has {triangles} triangles")
    data = glb.encode({
        "asset": {"version": "2.0", "generator": "vrstore assets/make_kit.py", "copyright": COPYRIGHT},
        "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"name": piece.name, "mesh": 0}],
        "meshes": [{"name": piece.name, "primitives": primitives}],
        "materials": materials,
    })
    entry = {
        "name": piece.name, "file": f"fixtures/{piece.name}.glb", "title": {"ko": piece.ko, "en": piece.en},
        "kind": piece.kind if isinstance(piece, Piece) else "sign", "triangles": triangles,
        "size": [round(float(x), 4) for x in hi - lo], "footprint": piece.footprint,
        "materials": [m["name"] for m in materials],
        "made": piece.made, "recipe": f"assets/kit_recipes/fixtures.py:{piece.name}",
    }
    return data, entry


def kit_index(entries: list[dict[str, Any]], fixtures: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 1,
        "generator": "assets/make_kit.py (recipes in assets/kit_recipes/); regenerate, never edit by hand",
        "licence": "Apache-2.0, made for vrstore by its contributors; no third-party files",
        "convention": "unit models: centred on X and Z, bottom at y = 0, largest side 1, front towards +Z; "
                      "primitive 'body' is tinted per product, primitive 'trim' keeps its vertex colours",
        "models": entries,
        "fixtures_convention": "fixture pieces (not product models): real size in metres, the nominal footprint "
                               "(w, d) centred on X and Z (awnings and light strips may overhang it, as the builder "
                               "draws them), floor at y = 0, front towards +Z; one primitive per store-builder palette "
                               "material; the builder itself draws fixtures procedurally from the same code",
        "fixtures": fixtures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the built-in asset kit (GLBs and kit.json).")
    parser.add_argument("--out", type=Path, default=HERE / "kit", help="output folder (default: assets/kit)")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for recipe in RECIPES:
        data, entry = build(recipe)
        (out / entry["file"]).write_bytes(data)
        entries.append(entry)
    (out / "fixtures").mkdir(exist_ok=True)
    fixtures = []
    for piece in PIECES:
        data, entry = build_fixture(piece)
        (out / entry["file"]).write_bytes(data)
        fixtures.append(entry)
    text = json.dumps(kit_index(entries, fixtures), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (out / "kit.json").write_text(text, "utf-8")
    print(f"make_kit: {len(entries)} models, {sum(e['triangles'] for e in entries):,} triangles, "
          f"{len(fixtures)} fixture pieces → {out}")


if __name__ == "__main__":
    main()
