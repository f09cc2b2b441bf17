"""Scene-build benchmark: 100 / 1,000 / 10,000-product stores → seconds, GLB bytes, draw calls, triangles.

Size reference, same run: the same scene written *plainly* (one mesh per product with its scale baked in,
one mesh per fixture, no instancing; same materials, atlases, signs and nodes) and passed through
``gltf-transform optimize --compress false --texture-compress false --simplify false``: gltf-transform's
lossless best (dedup, weld, flatten, join, GPU instancing, palette, prune) without geometry compression or
texture re-encoding, which our writer does not use either, and without lossy simplification.

Run: ``.venv/bin/python bench/scene_build.py [--sizes 100,1000,10000] [--no-reference]``
Writes bench/results/scene_build.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
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

from storefront_builder.build import STEPS, build_scene, content_hash, run_steps  # noqa: E402
from storefront_builder.build_steps.context import BuildContext  # noqa: E402
from storefront_builder.catalog.models import Dimensions, Money, Product  # noqa: E402
from storefront_builder.geometry.batch import bake_instances  # noqa: E402
from storefront_builder.geometry.fixtures import even_boards, fixture_parts  # noqa: E402
from storefront_builder.geometry.materials import category_material  # noqa: E402
from storefront_builder.geometry.mesh import drop_uvs, merge  # noqa: E402
from storefront_builder.geometry.models import fit_scale  # noqa: E402
from storefront_builder.geometry.placeholders import card, placeholder  # noqa: E402
from storefront_builder.layout.auto import auto_layout  # noqa: E402
from storefront_builder.placement import place  # noqa: E402
from storefront_builder.plan import StorePlan  # noqa: E402

CATEGORIES = [["식품", "과자"], ["식품", "라면"], ["음료"], ["의류", "상의"], ["의류", "하의"], ["신발"], ["과일"],
              ["생활용품"], ["화장품"], ["가방"], ["전통주"], ["한과"]]
NAMES = ["떡볶이", "김치", "한복 티셔츠", "운동화", "사과", "배", "막걸리", "약과", "수세미", "에코백", "선크림",
         "라면"]
GT_FLAGS = ["--compress", "false", "--texture-compress", "false", "--simplify", "false"]


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


def plain_fixtures(ctx: BuildContext) -> None:
    """Reference: one mesh per fixture, no instancing."""
    parent = ctx.group("fixtures")
    for f in ctx.plan.fixtures:
        tops = sorted({round(p.position[1] - f.position[1], 2) for p in ctx.plan.products if p.fixture_id == f.id})
        parts = fixture_parts(f.type, f.size, tops or even_boards(f.size[1], f.levels))
        prims = [(merge(parts[m]), ctx.material(m)) for m in sorted(parts)]
        mesh = ctx.doc.add_mesh(f"fixture:{f.id}", [(drop_uvs(p), m) for p, m in prims])
        ctx.doc.add_node({"name": f"fixture:{f.id}", "mesh": mesh, "translation": list(f.position)}, parent=parent)


def plain_products(ctx: BuildContext) -> None:
    """Reference: one mesh per product (scale baked in), placed by its node's transform."""
    parent = ctx.group("products")
    for p in ctx.plan.products:
        if p.sku not in ctx.feature_ids:
            continue
        fill = (p.size[0] * 0.92, p.size[1] * 0.97, p.size[2] * 0.92)
        if p.model_ref and p.model_ref in ctx.models:
            model = ctx.models[p.model_ref]
            s = fit_scale(model, p.size)
            mesh, mat = bake_instances(model, [(0, 0, 0)], [0], [(s, s, s)]), "model"
        elif p.image_ref and p.image_ref in ctx.image_cells:
            page, rect = ctx.image_cells[p.image_ref]
            mesh, mat = bake_instances(card(), [(0, 0, 0)], [0], [fill], uv_rects=[rect]), f"atlas:atlas{page}"
        else:
            mat = category_material(p.category)
            mesh = bake_instances(placeholder(p.shape), [(0, 0, 0)], [0], [fill])
        index = ctx.doc.add_mesh(f"visual:{p.sku}", [(mesh, ctx.material(mat))])
        ctx.doc.add_node({"name": f"visual:{p.sku}", "mesh": index, "translation": list(p.position)},
                         parent=parent)


def plain_glb(plan: StorePlan, assets: dict[str, bytes]) -> bytes:
    """The same scene without batching: our steps with fixtures/products swapped for plain ones."""
    swap = {"fixtures": plain_fixtures, "product_meshes": plain_products}
    ctx = BuildContext(plan=plan, assets=assets)
    ctx.content_hash = content_hash(plan, assets)
    run_steps(ctx, [(name, swap.get(name, step)) for name, step in STEPS])
    return ctx.glb


def reference_bytes(glb: bytes) -> tuple[int, int, float]:
    """(plain bytes, optimised bytes, seconds) via gltf-transform optimize."""
    tool = ROOT / "node_modules" / ".bin" / "gltf-transform"
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "plain.glb", Path(tmp) / "opt.glb"
        src.write_bytes(glb)
        started = time.perf_counter()
        subprocess.run([str(tool), "optimize", str(src), str(dst), *GT_FLAGS], check=True, capture_output=True,
                       timeout=1800)
        return len(glb), dst.stat().st_size, time.perf_counter() - started


def run(sizes: list[int], reference: bool) -> list[dict[str, Any]]:
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
        row: dict[str, Any] = {
            "products": n, "placed": r.products_placed, "place_seconds": round(place_s, 3),
            "build_seconds": round(r.seconds, 3), "glb_bytes": r.bytes, "draw_calls": r.draw_calls,
            "triangles": r.triangles, "nodes": r.nodes,
        }
        if reference:
            plain, optimised, ref_s = reference_bytes(plain_glb(plan, assets))
            row |= {"plain_bytes": plain, "reference_bytes": optimised, "reference_seconds": round(ref_s, 1),
                    "ratio": round(r.bytes / optimised, 3)}
        rows.append(row)
    return rows


def main() -> None:
    """Parse arguments, run, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")], not args.no_reference)
    table = Table(title="Scene build (targets: 1k < 1.0 s, 10k < 8 s, ≤ 100 draw calls, bytes ≤ 1.0× reference)")
    columns = ["products", "placed", "build_seconds", "glb_bytes", "draw_calls", "triangles", "nodes",
               "reference_bytes", "ratio"]
    for c in columns:
        table.add_column(c, justify="right")
    for row in rows:
        table.add_row(*(f"{row[c]:,}" if isinstance(row.get(c), int) else str(row.get(c, "–")) for c in columns))
    Console(width=160).print(table)
    out = ROOT / "bench" / "results" / "scene_build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"reference_flags": ["optimize", *GT_FLAGS], "results": rows}, indent=1), "utf-8")


if __name__ == "__main__":
    main()
