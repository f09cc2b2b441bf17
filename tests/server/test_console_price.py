"""The merchant console reads a typed price like the catalog importer reads a cell: web_client/merchant/price.js
and storefront_builder's parse_price agree on every case here ("12,000원" is 12000 in both places)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from storefront_builder.catalog._rows import parse_price
from storefront_builder.catalog.messages import CodedError
from storefront_builder.catalog.models import currency_exponent

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    ("12,000원", "KRW"), ("₩12,000", "KRW"), ("12000", "KRW"), ("15,000.00", "KRW"), (" 3,500 KRW ", "KRW"),
    ("12,00", "KRW"), ("1,2345", "KRW"), ("-100", "KRW"), ("abc", "KRW"), ("12.5", "KRW"), ("1e5", "KRW"),
    ("12.99", "USD"), ("$12.99", "USD"), ("12.999", "USD"), ("0.10", "USD"), ("1,234,567.8", "USD"),
    ("1500", "JPY"), ("1.5", "JPY"), ("999999999999", "KRW"), ("1000000000001", "KRW"), ("00012", "KRW"),
    ("원", "KRW"), ("12 000", "KRW"),
]


def _python(text: str, currency: str) -> dict[str, object]:
    try:
        return {"value": parse_price(text, currency)}
    except CodedError as exc:
        return {"error": exc.code}


def test_console_and_importer_parse_prices_alike() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required: scripts/setup.sh installs it")
    script = ("const { parsePrice } = await import(process.argv[1]);"
              "const cases = JSON.parse(process.argv[2]);"
              "console.log(JSON.stringify(cases.map(([text, digits]) => parsePrice(text, digits))));")
    cases = [[text, currency_exponent(currency)] for text, currency in CASES]
    proc = subprocess.run(
        [node, "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", "--input-type=module", "-e", script,
         (ROOT / "web_client" / "merchant" / "price.js").as_uri(), json.dumps(cases)],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    console = json.loads(proc.stdout)
    assert console == [_python(text, currency) for text, currency in CASES]
    assert console[0] == {"value": 12000} and console[5] == {"error": "price_not_number"}
    empty = subprocess.run(
        [node, "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", "--input-type=module", "-e",
         "const { parsePrice } = await import(process.argv[1]); console.log(JSON.stringify(parsePrice('  ', 0)));",
         (ROOT / "web_client" / "merchant" / "price.js").as_uri()],
        capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(empty.stdout) == {"value": None}  # an empty field is "no price"
