"""Scene-build benchmark: 100 / 1,000 / 10,000-product stores → seconds, bytes, draw calls, triangles, size ratio.

Targets (issue 17): 1,000 products build in < 1 s, 10,000 in < 8 s, ≤ 100 draw calls, and the GLB at most 1.2×
the size of ``gltf-transform optimize`` with its defaults on the same scene (dedup, instance, palette, flatten,
join, weld, simplify, prune, textures re-encoded, meshopt compression), computed in the same run from the very
GLB built, with ``npx --no-install gltf-transform optimize in.glb out.glb`` (the devDependency
@gltf-transform/cli). The reference keeps none of the store's anchors (prune drops them); ours keeps portals,
spawn points and lights as nodes and everything per product in the manifest.

Bytes are reported per GLB chunk (JSON, BIN) for both files; triangles are per store (every instance counted).

Run: ``.venv/bin/python bench/scene_build.py [--sizes 100,1000,10000] [--no-reference]``
Writes bench/results/scene_build.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storefront_builder.build import build_scene  # noqa: E402
from storefront_builder.catalog.models import Dimensions, Money, Product  # noqa: E402
from storefront_builder.layout.auto import auto_layout  # noqa: E402
from storefront_builder.placement import place  # noqa: E402

CATEGORIES = [["식품", "과자"], ["식품", "라면"], ["음료"], ["의류", "상의"], ["의류", "하의"], ["신발"], ["과일"],
              ["생활용품"], ["화장품"], ["가방"], ["전통주"], ["한과"]]
NAMES = ["떡볶이", "김치", "한복 티셔츠", "운동화", "사과", "배", "막걸리", "약과", "수세미", "에코백", "선크림",
         "라면"]
REFERENCE = ["npx", "--no-install", "gltf-transform", "optimize"]
TARGETS = {"build_1k_s": 1.0, "build_10k_s": 8.0, "draw_calls": 100, "ratio": 1.2}


def catalog(n: int, image_every: int = 5) -> tuple[list[Product], dict[str, bytes]]:
    """A generated catalog with Korean names, mixed categories and one distinct image per 5th product."""
    rng = random.Random(n)
    products, assets = [], {}
    for i in range(n):
        images = []
        if i % image_every == 0:
            key = f"img/{i}.jpg"
            buf = io.BytesIO()
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            Image.new("RGB", (128, 128), colour).save(buf, format="JPEG", quality=80)
            assets[key] = buf.getvalue()
            images.append(key)
        dims = Dimensions(width=round(rng.uniform(0.08, 0.3), 2), height=round(rng.uniform(0.1, 0.35), 2),
                          depth=round(rng.uniform(0.08, 0.3), 2)) if i % 3 == 0 else None
        products.append(Product(
            sku=f"KR-{i:06d}", name_ko=f"{NAMES[i % len(NAMES)]} {i}호", category=CATEGORIES[i % len(CATEGORIES)],
            price=Money(amount=1000 * rng.randint(1, 50), currency="KRW"), stock=rng.randint(0, 100),
            images=images, dimensions=dims,
        ))
    return products, assets


def chunks(glb: bytes) -> tuple[int, int]:
    """(JSON chunk bytes, BIN chunk bytes) of a GLB, chunk headers excluded."""
    json_len = struct.unpack_from("<I", glb, 12)[0]
    rest = 20 + json_len
    return json_len, struct.unpack_from("<I", glb, rest)[0] if rest < len(glb) else 0


def reference(glb: bytes) -> tuple[bytes, float]:
    """gltf-transform optimize (defaults) of ``glb``: its bytes and the seconds it took."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.glb", Path(tmp) / "out.glb"
        src.write_bytes(glb)
        started = time.perf_counter()
        subprocess.run([*REFERENCE, str(src), str(dst)], cwd=ROOT, check=True, capture_output=True, timeout=1800)
        return dst.read_bytes(), time.perf_counter() - started


def run(sizes: list[int], with_reference: bool) -> list[dict[str, Any]]:
    """Benchmark each size; returns one result row per size."""
    rows = []
    for n in sizes:
        products, assets = catalog(n)
        started = time.perf_counter()
        layout = auto_layout(products, "department_store", name="축제 백화점")
        plan = place(products, layout, store_id=f"bench-{n}", store_name="축제 백화점", assets=frozenset(assets))
        place_s = time.perf_counter() - started
        build_scene(plan, assets=assets)  # warm caches (placeholder meshes, fonts)
        best = min((build_scene(plan, assets=assets) for _ in range(3 if n <= 1000 else 2)),
                   key=lambda b: b.report.seconds)
        r = best.report
        json_b, bin_b = chunks(best.glb)
        row: dict[str, Any] = {
            "products": n, "placed": r.products_placed, "place_seconds": round(place_s, 3),
            "build_seconds": round(r.seconds, 3), "glb_bytes": r.bytes, "json_bytes": json_b, "bin_bytes": bin_b,
            "draw_calls": r.draw_calls, "triangles": r.triangles, "nodes": r.nodes,
            "manifest_bytes": len(json.dumps(best.manifest, ensure_ascii=False, separators=(",", ":")).encode()),
        }
        if with_reference:
            ref, ref_s = reference(best.glb)
            ref_json, ref_bin = chunks(ref)
            row |= {"reference_bytes": len(ref), "reference_json_bytes": ref_json, "reference_bin_bytes": ref_bin,
                    "reference_seconds": round(ref_s, 1), "ratio": round(r.bytes / len(ref), 3)}
        rows.append(row)
    return rows


def verdict(row: dict[str, Any]) -> str:
    """Which targets a row misses ("ok" when none)."""
    misses = []
    limit = TARGETS["build_1k_s"] if row["products"] <= 1000 else TARGETS["build_10k_s"]
    if row["build_seconds"] >= limit:
        misses.append("time")
    if row["draw_calls"] > TARGETS["draw_calls"]:
        misses.append("draws")
    if row.get("ratio", 0) > TARGETS["ratio"]:
        misses.append("size")
    return ", ".join(misses) or "ok"


def main() -> None:
    """Parse arguments, run, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")], not args.no_reference)
    table = Table(title="Scene build (targets: 1k < 1 s, 10k < 8 s, ≤ 100 draw calls, bytes ≤ 1.2× optimize)")
    columns = ["products", "build_seconds", "glb_bytes", "json_bytes", "bin_bytes", "draw_calls", "triangles",
               "nodes", "reference_bytes", "reference_json_bytes", "reference_bin_bytes", "ratio"]
    for c in [*columns, "targets"]:
        table.add_column(c.replace("_bytes", " B").replace("reference", "ref"), justify="right")
    for row in rows:
        cells = [f"{row[c]:,}" if isinstance(row.get(c), int) else str(row.get(c, "–")) for c in columns]
        table.add_row(*cells, verdict(row))
    Console(width=200).print(table)
    out = ROOT / "bench" / "results" / "scene_build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"reference": [*REFERENCE, "<in>", "<out>"], "targets": TARGETS, "results": rows}
    out.write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
