"""Functions that run in the process pool: CPU-heavy work kept off the event loop.

Each takes and returns picklable values. Progress of a build travels back through a queue handed to the
worker processes by the pool's initializer (a pool task cannot receive a queue as an argument).
"""

from __future__ import annotations

import gzip
import json
import os
import select
import tempfile
import threading
from pathlib import Path
from typing import Any

from server.services.catalog import StagedCatalog

_progress_queue: Any = None


def init_worker(queue: Any, server_pid: int) -> None:
    """The build pool's initializer: the progress queue, and the server this process must not outlive."""
    global _progress_queue
    _progress_queue = queue
    follow_server(server_pid)


def follow_server(server_pid: int) -> None:
    """End this pool process as soon as the server that made the pool ends, however it ends.

    A clean shutdown stops the pool's processes; a SIGKILL (the OOM killer, a supervisor's last resort) stops
    nothing. The worker then waits for ever on its call queue, whose write end it holds itself, and the fork
    server lives as long as any process holds its "alive" pipe, which every worker it forked does. Before this,
    every killed server left its fork server, both pool workers and the resource tracker running (about 330 MiB
    of resident memory each time: 32 such trees after one afternoon of tests). A thread here waits on a pidfd of
    the server and exits the process when the server is gone; the fork server then sees its pipe close."""
    try:
        server = os.pidfd_open(server_pid)
    except ProcessLookupError:  # it is already gone
        os._exit(0)

    def wait_for_the_server() -> None:
        select.select([server], [], [])  # a pidfd is readable once its process has ended
        os._exit(0)  # no cleanup worth running: nobody is left to take the results

    threading.Thread(target=wait_for_the_server, name="follow-server", daemon=True).start()


def ready() -> None:
    """Nothing: submitted once at start-up so the pool's processes exist before the first request needs one
    (starting the fork server blocks the caller for a second or more while it imports the builder)."""


def stage_catalog_file(path: str, format: str | None, currency: str, rows_path: str) -> StagedCatalog:
    """Parse an uploaded catalog and write its accepted rows to ``rows_path``: the parsed catalog (hundreds of
    MiB of objects for 100,000 rows) lives and dies here, the server process reads the rows in batches."""
    from server.services.catalog import stage_to_file
    from storefront_builder.catalog.importer import import_catalog

    result = import_catalog(Path(path).read_bytes(), format=format, default_currency=currency)
    return stage_to_file(result, currency, rows_path)


def parse_layout_text(data: bytes, format: str | None) -> dict[str, Any]:
    """Parse and check a layout; returns its JSON form (raises LayoutError, which pickles)."""
    from storefront_builder.layout.parse import parse_layout

    layout = parse_layout(data, format=format)  # type: ignore[arg-type]
    return layout.model_dump(mode="json")


def _write_scene(folder: Path, content_hash: str, glb: bytes, manifest_obj: dict[str, Any]) -> None:
    manifest = json.dumps(manifest_obj, ensure_ascii=False, separators=(",", ":")).encode()
    for suffix, data in ((".glb", glb), (".json", manifest), (".json.gz", gzip.compress(manifest, 6, mtime=0))):
        target = folder / f"{content_hash}{suffix}"
        if target.exists():
            continue  # same hash, same bytes: a rebuild of unchanged inputs is free
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".building-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)  # scenes are public: a front proxy may serve the folder directly
        os.replace(tmp, target)  # readers see the whole file or none of it


def build_plaza_scene(festival_slug: str, festival_name: str, stores: list[tuple[str, str]], scenes_dir: str) -> str:
    """The festival plaza: a square with a portal per store; returns its content hash."""
    from storefront_builder.build import build_store
    from storefront_builder.layout.templates import plaza_layout

    scene = build_store([], plaza_layout(stores), store_id="plaza", store_name=festival_name)
    _write_scene(Path(scenes_dir), scene.content_hash, scene.glb, scene.manifest)
    return scene.content_hash


def with_plaza_portal(layout: Any) -> Any:
    """Every store has a way back to the festival plaza: a portal in its entrance unless it has one."""
    from storefront_builder.layout.models import PortalSpec

    if any(portal.target == "plaza" for portal in layout.portals):
        return layout
    # In the entrance gap, 1 m in front of the spawn points, so a shopper who arrives is not inside it.
    portal = PortalSpec(id="to-plaza", target="plaza", label="광장 · Plaza",
                        position=(layout.entrance.centre_x, layout.floor.depth / 2 - 0.2))
    return layout.model_copy(update={"portals": [*layout.portals, portal]})


def catalog_with_assets(product_rows: list[tuple[str, str | None, str | None]],
                        fetched: dict[str, str] | None = None) -> list[Any]:
    """Catalog products with the merchant's uploaded model and image (by content hash) merged in; a product
    without an uploaded image takes the first of its catalog image URLs that was ``fetched`` (URL → hash)."""
    from storefront_builder.catalog.models import Product

    products = []
    for data_json, model, uploaded in product_rows:
        product = Product.model_validate_json(data_json)
        update: dict[str, Any] = {}
        if model:
            update["model"] = model
        image = uploaded or next((fetched[u] for u in product.images if fetched and u in fetched), None)
        if image:
            update["images"] = [image, *product.images]
        products.append(product.model_copy(update=update) if update else product)
    return products


def build_store_scene(
    build_id: str, product_rows: list[tuple[str, str | None, str | None]], layout: dict[str, Any] | None,
    kind: str, store_slug: str, store_name: str, asset_paths: dict[str, str], scenes_dir: str,
    fetched: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Build one store's scene and write it (GLB, manifest, gzipped manifest) under its content hash."""
    from storefront_builder.build import build_store
    from storefront_builder.catalog.groups import shelf_products
    from storefront_builder.layout.auto import auto_layout
    from storefront_builder.layout.models import Layout

    def progress(percent: int, step: str) -> None:
        if _progress_queue is not None:
            _progress_queue.put((build_id, percent, step))

    products = catalog_with_assets(product_rows, fetched)
    # Auto-layout makes room for one slot per product, not per variant (placement groups them the same way).
    plan_layout = (Layout.model_validate(layout) if layout
                   else auto_layout(shelf_products(products), kind, name=store_name))  # type: ignore[arg-type]
    plan_layout = with_plaza_portal(plan_layout)
    assets = {key: Path(path).read_bytes() for key, path in asset_paths.items()}
    scene = build_store(products, plan_layout, store_id=store_slug, store_name=store_name, assets=assets,
                        progress=progress)
    _write_scene(Path(scenes_dir), scene.content_hash, scene.glb, scene.manifest)
    return {"scene_hash": scene.content_hash, "report": scene.report.as_dict()}


def forecast_load(per_minute: list[float]) -> Any:
    """The next hour of a festival's shoppers (statsmodels' fit takes most of a second of CPU: not on the loop)."""
    from server.services.forecast import forecast

    return forecast(per_minute)
