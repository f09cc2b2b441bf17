"""Build entry: ``StorePlan`` (+ merchant assets) → GLB bytes, manifest, report and content hash.

The build is a list of small named steps (glTF-Transform style) run in order over a shared context; each is
logged with its name, and any failure is re-raised as ``BuildStepError(step, …)``. Output is a pure function
of the inputs, so the content hash of the inputs names the output file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from storefront_builder.build_steps.assets import images_atlas, merchant_models
from storefront_builder.build_steps.context import MAX_DRAW_CALLS, BuildContext
from storefront_builder.build_steps.fixtures import fixtures
from storefront_builder.build_steps.markers import lights, portals, spawn_points
from storefront_builder.build_steps.output import encode_glb, manifest
from storefront_builder.build_steps.products import assign_features, product_meshes
from storefront_builder.build_steps.shell import floor_and_walls
from storefront_builder.build_steps.signage import signage
from storefront_builder.catalog import category_names
from storefront_builder.errors import BuilderError, BuildStepError
from storefront_builder.geometry.kit_models import kit_ident
from storefront_builder.geometry.signage import find_font
from storefront_builder.placement import place
from storefront_builder.plan import StorePlan

if TYPE_CHECKING:
    from storefront_builder.catalog.models import Product

log = logging.getLogger(__name__)

# Bump when the output for the same inputs changes (geometry, materials, writer): it is part of the hash.
BUILDER_VERSION = "2.1.0"

Step = Callable[[BuildContext], None]
Progress = Callable[[int, str], None]

STEPS: list[tuple[str, Step]] = [
    ("assign_features", assign_features),
    ("floor_and_walls", floor_and_walls),
    ("fixtures", fixtures),
    ("merchant_models", merchant_models),
    ("images_atlas", images_atlas),
    ("product_meshes", product_meshes),
    ("signage", signage),
    ("portals", portals),
    ("spawn_points", spawn_points),
    ("lights", lights),
    ("encode_glb", encode_glb),
    ("manifest", manifest),
]

_NO_ASSETS: Mapping[str, bytes] = MappingProxyType({})


@dataclass(frozen=True)
class BuildReport:
    """What a build produced, for the CLI table, the API and the benchmark."""

    nodes: int
    draw_calls: int
    triangles: int
    bytes: int
    products_placed: int
    products_unplaced: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"nodes": self.nodes, "draw_calls": self.draw_calls, "triangles": self.triangles,
                "bytes": self.bytes, "products_placed": self.products_placed,
                "products_unplaced": self.products_unplaced, "warnings": list(self.warnings),
                "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class SceneBuild:
    """The GLB, its manifest, the report and the content hash that names both files."""

    glb: bytes
    manifest: dict[str, Any]
    report: BuildReport
    content_hash: str


def _referenced_assets(plan: StorePlan) -> set[str]:
    return {ref for p in plan.products for ref in (p.model_ref, p.image_ref) if ref}


def content_hash(plan: StorePlan, assets: Mapping[str, bytes] = _NO_ASSETS) -> str:
    """sha256 of the canonical inputs: plan JSON, hashes of the assets the plan references, builder version.

    Unreferenced assets are left out because they cannot change the output; the sign font, the asset kit and the
    category names (signs carry both languages) are in because they can.
    """
    h = hashlib.sha256()
    idents = f"{find_font().ident}:{kit_ident()}:{category_names.ident()}"
    h.update(f"vrstore-scene:{BUILDER_VERSION}:{idents}\n".encode())
    h.update(json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                        ensure_ascii=False).encode("utf-8"))
    for key in sorted(_referenced_assets(plan)):
        data = assets.get(key)
        digest = hashlib.sha256(data).hexdigest() if data is not None else "missing"
        h.update(f"\n{key}\0{digest}".encode())
    return h.hexdigest()


def run_steps(ctx: BuildContext, steps: Sequence[tuple[str, Step]], progress: Progress | None = None) -> None:
    """Run ``steps`` in order; wrap any failure in ``BuildStepError`` carrying the step's name."""
    for n, (name, step) in enumerate(steps, 1):
        started = time.perf_counter()
        try:
            step(ctx)
        except BuildStepError:
            raise
        except (BuilderError, ValueError, KeyError, TypeError, OSError, ArithmeticError, IndexError) as exc:
            log.error("build step %s failed: %s", name, exc)
            raise BuildStepError(name, f"{type(exc).__name__}: {exc}") from exc
        log.debug("build step %s took %.3f s", name, time.perf_counter() - started)
        if progress is not None:
            progress(round(100 * n / len(steps)), name)


def build_scene(plan: StorePlan, *, assets: Mapping[str, bytes] = _NO_ASSETS,
                progress: Progress | None = None) -> SceneBuild:
    """Build the store's GLB and manifest from a placed plan; same inputs give byte-identical output."""
    started = time.perf_counter()
    ctx = BuildContext(plan=plan, assets=assets)
    ctx.content_hash = content_hash(plan, assets)
    run_steps(ctx, STEPS, progress)
    if ctx.draw_calls > MAX_DRAW_CALLS:
        ctx.warnings.append(f"{ctx.draw_calls} draw calls exceed the budget of {MAX_DRAW_CALLS}")
    report = BuildReport(
        nodes=ctx.manifest["stats"]["nodes"], draw_calls=ctx.draw_calls, triangles=ctx.triangles,
        bytes=len(ctx.glb), products_placed=len(ctx.manifest["products"]),
        products_unplaced=len(plan.unplaced), warnings=list(ctx.warnings),
        seconds=time.perf_counter() - started,
    )
    return SceneBuild(glb=ctx.glb, manifest=ctx.manifest, report=report, content_hash=ctx.content_hash)


def build_store(products: Sequence[Product], layout: Any, *, store_id: str, store_name: str,
                assets: Mapping[str, bytes] = _NO_ASSETS, progress: Progress | None = None) -> SceneBuild:
    """Place ``products`` with ``layout`` (storefront_builder.placement) and build the scene."""
    plan: StorePlan = place(list(products), layout, store_id=store_id, store_name=store_name,
                            assets=frozenset(assets))
    return build_scene(plan, assets=assets, progress=progress)
