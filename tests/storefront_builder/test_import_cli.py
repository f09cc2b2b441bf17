"""The ``vrstore import`` command function: tables, exit codes, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from storefront_builder.catalog.models import Money
from storefront_builder.cli.import_cmd import format_money, import_command

app = typer.Typer()
app.command()(import_command)
runner = CliRunner()


def test_prints_products_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sku,name_ko,price\nA,찻잔,\"15,000\"\nB,,x\n", encoding="utf-8")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 0, result.output
    assert "15,000 KRW" in result.output and "찻잔" in result.output and "not a number" in result.output


def test_exit_1_when_nothing_imported(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sku,name_ko,price\nA,,x\n", encoding="utf-8")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 1


def test_unreadable_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, [str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    garbage = tmp_path / "g.bin"
    garbage.write_bytes(b"\x00\xff\xfe\x80\x81" * 20)
    result = runner.invoke(app, [str(garbage), "--format", "csv"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_format_money() -> None:
    assert format_money(Money(amount=1299, currency="USD")) == "12.99 USD"
    assert format_money(Money(amount=15000, currency="KRW")) == "15,000 KRW"
    assert format_money(None) == ""


def test_markup_in_merchant_text_is_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sku,name_en,price\nA,[/] [bold]x,100\nB,[link=http://e]y,abc\n", encoding="utf-8")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 0, result.output
    assert "[/] [bold]x" in result.output


def test_prints_variant_groups_and_the_products_imported_hidden() -> None:
    fixture = Path(__file__).parent / "fixtures" / "shopify_visibility.csv"
    result = runner.invoke(app, [str(fixture)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "of 6 product(s)" in result.output and "Color=Blue" in result.output  # groups and their options
    assert "Imported hidden (not on sale): 4 product(s)" in result.output
    assert "draft: not on sale" in result.output and "gift card: not a shelf product" in result.output
