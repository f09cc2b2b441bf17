"""``build_command``: catalog → store.glb / store.json / store.report.json, clear errors, no tracebacks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from storefront_builder.catalog.models import Money, Product
from storefront_builder.cli.build_cmd import build_command
from storefront_builder.gltf.reader import Glb


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(build_command)
    return app


def _catalog(tmp_path: Path, n: int = 12) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (220, 80, 40)).save(buf, format="PNG")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(buf.getvalue())
    products = [Product(sku=f"P{i}", name_ko=f"떡볶이 {i}", category=["식품"] if i % 2 else ["의류"],
                        price=Money(amount=5000 + i, currency="KRW"),
                        images=["img/a.png", "https://example.com/x.png", "../escape.png"] if i % 3 == 0 else [])
                for i in range(n)]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([p.model_dump(mode="json") for p in products], ensure_ascii=False), "utf-8")
    return path


def test_build_writes_scene_manifest_report_and_preview(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(_app(), ["--catalog", str(catalog), "-o", str(out), "--template",
                                         "traditional_market", "--preview", str(tmp_path / "plan.png"),
                                         "--store-id", "market-1", "--name", "광장시장"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "store.json").read_text("utf-8"))
    report = json.loads((out / "store.report.json").read_text("utf-8"))
    g = Glb.parse((out / "store.glb").read_bytes())
    assert manifest["store"]["id"] == "market-1" and report["content_hash"] == manifest["content_hash"]
    assert report["products_placed"] + report["products_unplaced"] == 12
    assert g.gltf["asset"]["extras"]["vrstore"]["content_hash"] == manifest["content_hash"]
    assert "P1" in manifest["products"] and manifest["features"][manifest["products"]["P1"]["feature"]] == "P1"
    assert (tmp_path / "plan.png").read_bytes()[:4] == b"\x89PNG"
    assert "draw calls" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--catalog", "nope.csv"], "does not exist"),
    (["--template", "castle"], "unknown template"),
    (["--template", "brand_shop", "--layout", "x.yaml"], "not both"),
    (["--layout", "missing.yaml"], "does not exist"),
])
def test_bad_input_gives_a_message_not_a_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    catalog = _catalog(tmp_path)
    full = ["--catalog", str(catalog), "-o", str(tmp_path / "o"), *args]
    result = CliRunner().invoke(_app(), full)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_invalid_layout_is_reported(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    bad = tmp_path / "layout.yaml"
    bad.write_text("kind: castle\nfloor: {width: -3}\n", "utf-8")
    result = CliRunner().invoke(_app(), ["--catalog", str(catalog), "--layout", str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "layout" in result.output and "Traceback" not in result.output


def test_empty_catalog_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    result = CliRunner().invoke(_app(), ["--catalog", str(empty), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "error" in result.output
