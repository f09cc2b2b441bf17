"""Shared fixtures for the storefront_builder tests: fixture files and hand-built GLB/PNG factories."""

from __future__ import annotations

import io
import json
import math
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from storefront_builder.plan import (
    PlacedFixture,
    PlacedProduct,
    PlaceholderShape,
    Portal,
    Sign,
    SpawnPoint,
    StoreKind,
    StorePlan,
    UnplacedProduct,
    Zone,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Read a file from tests/storefront_builder/fixtures."""
    return lambda name: (FIXTURES / name).read_bytes()


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def build_glb(doc: dict[str, Any], binary: bytes | None = None) -> bytes:
    """Assemble a GLB container from a glTF document and an optional BIN chunk (lengths computed honestly)."""
    json_chunk = _pad(json.dumps(doc).encode(), b" ")
    body = struct.pack("<II", len(json_chunk), 0x4E4F534A) + json_chunk
    if binary is not None:
        bin_chunk = _pad(binary, b"\0")
        body += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def triangle_doc(positions: list[float] | None = None, image: bytes | None = None,
                 mime: str = "image/png") -> tuple[dict[str, Any], bytes]:
    """A one-triangle glTF document plus its BIN bytes; optionally with one embedded image."""
    coords = np.array(positions or [0, 0, 0, 1, 0, 0, 0, 1, 0], dtype="<f4")
    indices = np.array([0, 1, 2], dtype="<u2").tobytes() + b"\0\0"
    binary = coords.tobytes() + indices
    views: list[dict[str, Any]] = [
        {"buffer": 0, "byteOffset": 0, "byteLength": 36},
        {"buffer": 0, "byteOffset": 36, "byteLength": 6},
    ]
    doc: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
        ],
        "bufferViews": views,
    }
    if image is not None:
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(image)})
        binary += _pad(image, b"\0")
        doc["images"] = [{"bufferView": 2, "mimeType": mime}]
        doc["textures"] = [{"source": 0}]
    doc["buffers"] = [{"byteLength": len(binary)}]
    return doc, binary


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width``×``height`` with a tiny zlib stream: a decompression-bomb header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def real_image(width: int, height: int, fmt: str = "PNG") -> bytes:
    """A genuine image encoded by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def glb() -> Callable[..., bytes]:
    """Factory: ``glb(doc, binary)`` → GLB bytes."""
    return build_glb


@pytest.fixture
def triangle() -> Callable[..., tuple[dict[str, Any], bytes]]:
    """Factory: ``triangle(positions=None, image=None, mime=...)`` → (doc, bin)."""
    return triangle_doc


@pytest.fixture
def bomb_png() -> Callable[[int, int], bytes]:
    """Factory: ``bomb_png(w, h)`` → PNG bytes with a lying-big header."""
    return png_header_only


@pytest.fixture
def image_bytes() -> Callable[..., bytes]:
    """Factory: ``image_bytes(w, h, fmt="PNG")`` → a real encoded image."""
    return real_image


# ---- scene writer (build / GLB) fixtures ---------------------------------------------------------------

SCENE_SHAPES: list[PlaceholderShape] = [
    "box", "bottle", "jar", "folded_garment", "shoe_box", "fruit_crate", "can", "bag",
]
SCENE_CATEGORIES = ["식품", "음료", "의류", "신발", "과일", "생활", "화장품", "가방"]


def plan_factory(
    n_products: int,
    *,
    kind: StoreKind = "department_store",
    store_id: str = "store-1",
    image_every: int = 0,
    model_every: int = 0,
    levels: int = 4,
    per_level: int = 6,
    with_extras: bool = True,
) -> StorePlan:
    """A hand-made StorePlan: shelves in rows, ``levels × per_level`` products each, sized to fit them all."""
    per_fixture = levels * per_level
    n_fix = max(1, math.ceil(n_products / per_fixture))
    cols = max(1, math.ceil(math.sqrt(n_fix)))
    rows = math.ceil(n_fix / cols)
    width, depth = cols * 2.4 + 4.0, rows * 2.2 + 6.0
    fixtures = []
    for i in range(n_fix):
        x = -width / 2 + 2.0 + 1.2 + (i % cols) * 2.4
        z = -depth / 2 + 2.0 + (i // cols) * 2.2
        fixtures.append(PlacedFixture(id=f"F{i}", type="shelf" if i % 3 else "gondola", position=(x, 0.0, z),
                                      size=(2.0, 1.8, 0.5), levels=levels, zone="zone-a"))
    products = []
    for n in range(n_products):
        f = fixtures[n // per_fixture]
        level, slot = divmod(n % per_fixture, per_level)
        x = f.position[0] - 1.0 + (slot + 0.5) * (2.0 / per_level)
        products.append(PlacedProduct(
            sku=f"SKU-{n:05d}", slot=f"{f.id}-L{level}-S{slot}", fixture_id=f.id,
            position=(x, 0.1 + level * 0.42, f.position[2]), size=(0.25, 0.3, 0.3),
            category=SCENE_CATEGORIES[n % len(SCENE_CATEGORIES)], shape=SCENE_SHAPES[n % len(SCENE_SHAPES)],
            label=f"상품 {n}",
            image_ref=f"img/{n % 7}.png" if image_every and n % image_every == 0 else None,
            model_ref="models/cube.glb" if model_every and n % model_every == 1 else None,
        ))
    extras: dict[str, Any] = {}
    if with_extras:
        extras = {
            "signs": [Sign(id="zone-food", text="식품 Food", position=(0.0, 2.6, 0.0))],
            "spawn_points": [SpawnPoint(id="door", position=(0.0, 0.0, depth / 2 - 1.0))],
            "portals": [Portal(id="to-plaza", target="plaza", label="광장 Plaza",
                               position=(width / 2 - 1.5, 0.0, depth / 2 - 1.0), rotation_y=90.0)],
            "zones": [Zone(name="식품", categories=["식품"], bounds=(-width / 2, -depth / 2, 0.0, 0.0))],
            "unplaced": [UnplacedProduct(sku="NOPE-1", reason="no fixture fits")],
        }
    return StorePlan(store_id=store_id, store_name="축제 백화점 Festival", kind=kind, width=width, depth=depth,
                     wall_height=4.0, fixtures=fixtures, products=products, **extras)


def _solid_png(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def cube_glb() -> bytes:
    """A small red box GLB made with trimesh (a merchant model stand-in, in centimetres)."""
    import trimesh

    mesh = trimesh.creation.box(extents=(20.0, 40.0, 10.0))
    mesh.visual.vertex_colors = [200, 30, 30, 255]
    return bytes(trimesh.Scene(mesh).export(file_type="glb"))


def sample_assets() -> dict[str, bytes]:
    """Images img/0..6.png and models/cube.glb, as referenced by ``plan_factory``."""
    assets = {f"img/{i}.png": _solid_png((30 * i, 200 - 20 * i, 90)) for i in range(7)}
    assets["models/cube.glb"] = cube_glb()
    return assets


@pytest.fixture
def make_plan() -> Callable[..., StorePlan]:
    """``make_plan(n_products, kind=..., image_every=..., model_every=...)`` → StorePlan."""
    return plan_factory


@pytest.fixture(scope="session")
def scene_assets() -> dict[str, bytes]:
    """Assets matching ``make_plan(..., image_every=..., model_every=...)`` references (do not mutate)."""
    return sample_assets()


NODE_ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_SCRIPT = NODE_ROOT / "tools" / "validate_gltf.mjs"


def run_gltf_validator(glb: bytes, tmp_dir: Path) -> dict[str, Any]:
    """Run the Khronos glTF-Validator (tools/validate_gltf.mjs via node) and return its JSON report."""
    node = shutil.which("node")
    if node is None or not (NODE_ROOT / "node_modules" / "gltf-validator").is_dir():
        raise RuntimeError("node and node_modules/gltf-validator are required: run scripts/test.sh (it installs them)")
    path = tmp_dir / "scene.glb"
    path.write_bytes(glb)
    proc = subprocess.run([node, str(VALIDATOR_SCRIPT), str(path)], capture_output=True, timeout=240,
                          cwd=NODE_ROOT, check=False)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@pytest.fixture
def assert_valid_gltf(tmp_path: Path) -> Callable[[bytes], dict[str, Any]]:
    """``check(glb)``: runs the glTF-Validator, asserts 0 errors (listing them otherwise), returns the report.

    The validator cannot decode EXT_meshopt_compression, so it would check no vertex data of a compressed scene:
    such a GLB is validated a second time decoded (``Glb.decompressed``), which checks the quantized accessors,
    their bounds and the indices as well.
    """
    from storefront_builder.gltf.compress import EXT_MESHOPT
    from storefront_builder.gltf.reader import Glb

    def errors_of(report: dict[str, Any]) -> list[str]:
        return [f"{m['code']} at {m.get('pointer')}: {m['message']}"
                for m in report["issues"]["messages"] if m["severity"] == 0]

    def check(glb: bytes) -> dict[str, Any]:
        report = run_gltf_validator(glb, tmp_path)
        assert report["issues"]["numErrors"] == 0, errors_of(report)
        parsed = Glb.parse(glb)
        if EXT_MESHOPT in parsed.gltf.get("extensionsUsed", []):
            decoded = run_gltf_validator(parsed.decompressed(), tmp_path)
            assert decoded["issues"]["numErrors"] == 0, errors_of(decoded)
            assert decoded["issues"]["numWarnings"] == report["issues"]["numWarnings"], decoded["issues"]
        return report

    return check


# ---- layout / placement fixtures -----------------------------------------------------------------------

LAYOUT_CATEGORIES: list[list[str]] = [
    ["식품", "과자"], ["음료"], ["주류", "맥주"], ["의류", "티셔츠"], ["신발"], ["가방"], ["과일"],
    ["생활용품"], ["잼"], ["food", "snacks"], ["beverages"], ["clothing"],
]
_NAME_PARTS = ["사과", "초코", "바나나", "우유", "녹차", "김", "떡", "양말", "모자", "컵", "라면", "비누"]


def product_factory(n: int, *, categories: list[list[str]] | None = None, seed: int = 0,
                    dimensions: bool = False, prefix: str = "SKU") -> list[Any]:
    """``n`` products with Korean names, KRW prices, categories cycling through ``categories`` and random
    ranks (deterministic per ``seed``); ``dimensions=True`` gives each a random real size."""
    import random

    from storefront_builder.catalog.models import Dimensions, Money, Product

    rng = random.Random(seed)
    cats = categories or LAYOUT_CATEGORIES
    products = []
    for index in range(n):
        dims = None
        if dimensions:
            dims = Dimensions(width=round(rng.uniform(0.05, 0.6), 3), height=round(rng.uniform(0.05, 0.5), 3),
                              depth=round(rng.uniform(0.05, 0.4), 3))
        products.append(Product(
            sku=f"{prefix}-{index:05d}", name_ko=f"{rng.choice(_NAME_PARTS)} {rng.choice(_NAME_PARTS)} {index}",
            category=list(cats[index % len(cats)]), price=Money(amount=rng.randrange(500, 100_000, 100),
                                                                 currency="KRW"),
            stock=rng.randrange(0, 50), rank=rng.randrange(0, 10), dimensions=dims,
        ))
    return products


@pytest.fixture(scope="session")
def make_products() -> Callable[..., list[Any]]:
    """``make_products(n, categories=None, seed=0, dimensions=False)`` → list[Product] (Korean names, KRW)."""
    return product_factory
