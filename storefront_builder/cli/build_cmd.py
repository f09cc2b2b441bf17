"""``vrstore build``: catalog (+ layout or template) → store.glb, store.json, store.report.json.

The only scene-writer code that touches files: it reads the catalog, the layout and the product assets next
to the catalog, and writes the outputs. Bad input ends with a clear message and exit code 1, no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from storefront_builder.build import SceneBuild, build_scene
from storefront_builder.catalog.models import Product
from storefront_builder.errors import BuilderError, LayoutError
from storefront_builder.plan import StoreKind, StorePlan

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ASSET_BYTES = 50 * 1024 * 1024
KINDS: tuple[str, ...] = get_args(StoreKind)


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def _read(path: Path, what: str, console: Console, limit: int = MAX_FILE_BYTES) -> bytes:
    if not path.is_file():
        raise _fail(console, f"{what} {str(path)!r} does not exist or is not a file")
    if path.stat().st_size > limit:
        raise _fail(console, f"{what} {str(path)!r} is larger than {limit // (1024 * 1024)} MB")
    return path.read_bytes()


def load_assets(products: list[Product], base: Path) -> dict[str, bytes]:
    """Read the images and models the catalog references as relative paths inside ``base``.

    URLs, absolute paths and paths that leave ``base`` are ignored (placement then uses placeholders).
    """
    root = base.resolve()
    assets: dict[str, bytes] = {}
    refs = sorted({ref for p in products for ref in [*p.images, *([p.model] if p.model else [])]})
    for ref in refs:
        if "://" in ref or ref.startswith(("/", "\\")):
            continue
        path = (root / ref).resolve()
        if not path.is_relative_to(root) or not path.is_file() or path.stat().st_size > MAX_ASSET_BYTES:
            continue
        assets[ref] = path.read_bytes()
    return assets


def _plan(products: list[Product], layout: Path | None, template: str | None, store_id: str, name: str,
          assets: dict[str, bytes], console: Console) -> StorePlan:
    from storefront_builder.catalog.groups import shelf_products
    from storefront_builder.layout.auto import auto_layout
    from storefront_builder.layout.parse import parse_layout
    from storefront_builder.placement import place

    if layout is not None:
        try:
            text = _read(layout, "layout", console).decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(console, f"layout {str(layout)!r} is not UTF-8 text") from None
        spec = parse_layout(text)
    else:
        kind = template or "department_store"
        if kind not in KINDS:
            raise _fail(console, f"unknown template {kind!r}; choose one of {', '.join(KINDS)}")
        # one slot per product, not per variant
        spec = auto_layout(shelf_products(products), kind, name=name)  # type: ignore[arg-type]
    return place(products, spec, store_id=store_id, store_name=name, assets=frozenset(assets))


def report_table(built: SceneBuild, outputs: dict[str, Path]) -> Table:
    """The build report as a rich table."""
    r = built.report
    table = Table(title=f"Scene {built.content_hash[:12]}…", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("products placed", r.products_placed), ("products unplaced", r.products_unplaced),
        ("nodes", r.nodes), ("draw calls", r.draw_calls), ("triangles", f"{r.triangles:,}"),
        ("GLB bytes", f"{r.bytes:,}"), ("seconds", f"{r.seconds:.2f}"),
    ]
    rows += [(f"wrote {key}", str(path)) for key, path in outputs.items()]
    for what, value in rows:
        table.add_row(what, str(value))
    return table


def build_command(
    catalog: Annotated[Path, typer.Option("--catalog", help="Catalog file (CSV/TSV/JSON/feed)")],
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help="store.glb (manifest and report beside it) or a directory")] = Path("."),
    layout: Annotated[Path | None, typer.Option("--layout", help="Layout YAML/JSON")] = None,
    template: Annotated[str | None, typer.Option("--template", help=f"Auto-layout kind: {', '.join(KINDS)}")] = None,
    preview: Annotated[Path | None, typer.Option("--preview", help="Write the floor plan PNG here")] = None,
    store_id: Annotated[str, typer.Option("--store-id", help="Store id in node extras")] = "store",
    name: Annotated[str, typer.Option("--name", help="Store name shown on signs")] = "축제 상점",
) -> None:
    """Build a walk-in store scene from a catalog and a layout (or a template kind)."""
    console = Console()
    if layout is not None and template is not None:
        raise _fail(console, "give either --layout or --template, not both")
    from storefront_builder.catalog.importer import import_catalog

    try:
        result = import_catalog(_read(catalog, "catalog", console))
        if not result.products:
            raise _fail(console, f"no products could be imported from {str(catalog)!r} "
                                  f"({len(result.errors)} row error(s))")
        if result.errors:
            console.print(f"[yellow]{len(result.errors)} catalog row(s) skipped[/]")
        assets = load_assets(result.products, catalog.parent)
        plan = _plan(result.products, layout, template, store_id, name, assets, console)
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("building", total=100)
            built = build_scene(plan, assets=assets,
                                progress=lambda pct, step: bar.update(task, completed=pct, description=step))
    except LayoutError as exc:
        where = ".".join(str(part) for part in exc.loc)
        raise _fail(console, f"layout: {exc}" + (f" (at {where})" if where else "")) from None
    except BuilderError as exc:
        raise _fail(console, str(exc)) from None
    try:
        scene = output if output.suffix.lower() == ".glb" else output / "store.glb"
        scene.parent.mkdir(parents=True, exist_ok=True)
        outputs = {"scene": scene, "manifest": scene.with_suffix(".json"),
                   "report": scene.with_suffix(".report.json")}
        outputs["scene"].write_bytes(built.glb)
        outputs["manifest"].write_text(json.dumps(built.manifest, ensure_ascii=False, indent=1), "utf-8")
        outputs["report"].write_text(json.dumps({"content_hash": built.content_hash, **built.report.as_dict()},
                                                ensure_ascii=False, indent=1), "utf-8")
        if preview is not None:
            from storefront_builder.preview import render_floor_plan

            preview.write_bytes(render_floor_plan(plan))
            outputs["preview"] = preview
    except OSError as exc:
        raise _fail(console, f"cannot write output: {exc.strerror or exc}") from None
    console.print(report_table(built, outputs))
    for warning in built.report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
