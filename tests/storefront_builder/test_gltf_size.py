"""The built GLB is about as small as gltf-transform's default ``optimize`` makes the same scene (issue 17).

The reference is computed here, from the very GLB built: ``gltf-transform optimize in out`` with its defaults
(dedup, instance, palette, flatten, join, weld, simplify, prune, texture re-encoding, meshopt compression). It
keeps none of our anchors (it prunes them), so being within 1.2× of it means the store's data costs little.
bench/scene_build.py measures the same at 10,000 products.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from storefront_builder.build import build_store
from storefront_builder.catalog.models import Money, Product
from storefront_builder.gltf.reader import Glb
from storefront_builder.layout.auto import auto_layout

ROOT = Path(__file__).resolve().parents[2]
GLTF_TRANSFORM = ROOT / "node_modules" / "@gltf-transform" / "cli" / "bin" / "cli.js"
MAX_RATIO = 1.2
CATEGORIES = [["식품", "과자"], ["음료"], ["의류", "상의"], ["신발"], ["과일"], ["생활용품"], ["화장품"], ["가방"]]


def _catalog(n: int) -> tuple[list[Product], dict[str, bytes]]:
    """Like the benchmark's: mixed categories, one distinct photo-like image for every fifth product."""
    rng = random.Random(n)
    products, assets = [], {}
    for i in range(n):
        images = []
        if i % 5 == 0:
            buf = io.BytesIO()
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            Image.new("RGB", (128, 128), colour).save(buf, format="JPEG", quality=80)
            assets[f"img/{i}.jpg"] = buf.getvalue()
            images.append(f"img/{i}.jpg")
        products.append(Product(sku=f"S-{i:05d}", name_ko=f"상품 {i}", category=CATEGORIES[i % len(CATEGORIES)],
                                price=Money(amount=1000 * rng.randint(1, 50), currency="KRW"), stock=5,
                                images=images))
    return products, assets


def optimized_size(glb: bytes, tmp_path: Path) -> int:
    """Bytes of ``gltf-transform optimize`` (defaults) of ``glb``."""
    node = shutil.which("node")
    if node is None or not GLTF_TRANSFORM.is_file():
        raise RuntimeError("node and node_modules/@gltf-transform/cli are required: run scripts/test.sh")
    src, dst = tmp_path / "in.glb", tmp_path / "out.glb"
    src.write_bytes(glb)
    proc = subprocess.run([node, str(GLTF_TRANSFORM), "optimize", str(src), str(dst)], capture_output=True,
                          timeout=240, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return dst.stat().st_size


def test_thousand_products_are_within_the_optimize_reference(tmp_path: Path) -> None:
    products, assets = _catalog(1000)
    layout = auto_layout(products, "department_store", name="축제 백화점")
    built = build_store(products, layout, store_id="size-1k", store_name="축제 백화점", assets=assets)
    assert built.report.products_placed == 1000
    reference = optimized_size(built.glb, tmp_path)
    ratio = len(built.glb) / reference
    assert ratio <= MAX_RATIO, f"{len(built.glb):,} B is {ratio:.2f}× gltf-transform's {reference:,} B"
    # And the JSON chunk no longer dominates the file.
    assert Glb.parse(built.glb).json_bytes < len(built.glb) / 3
