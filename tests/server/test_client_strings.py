"""The web client's label tables: Korean first, English complete, no key used that no table has.

The check itself is JavaScript (``tools/check_client_strings.mjs``): it imports the tables as the browser does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_label_has_korean_and_english_and_every_key_used_exists() -> None:
    node = shutil.which("node")
    assert node is not None, "node is required: scripts/setup.sh installs it"
    proc = subprocess.run(
        [node, "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(ROOT / "tools" / "check_client_strings.mjs")],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok:"), proc.stdout
