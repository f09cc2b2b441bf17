"""The web client's label tables: Korean first, English complete, no key used that no table has, one i18n system.

The check of the tables themselves is JavaScript (``tools/check_client_strings.mjs``): it imports the tables as
the browser does. The checks against the server are here: every problem the server can answer with, and every
``reason`` it gives one, has a message in both languages (``shared/problem_strings.js``), every store kind it
accepts has one name in both (``shared/kind_strings.js``, the one table the lobby and the consoles share), and every
live notice a shopper is shown has a text (``js/strings.js``), never its bare kind.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import typing
from pathlib import Path

from server.contracts.foundation import StoreKind
from server.domain.errors import ErrorCode
from server.http import problems
from server.live.core.protocol import NO_AUTOMATIC_RETRY, NOTICE_KINDS

ROOT = Path(__file__).resolve().parents[2]
QUIET = "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON"  # web_client/ declares no module type (the browser needs none)
# A reason a problem carries, written where the domain error is raised: extra={…, "reason": "cart_empty"}.
REASON = re.compile(r'extra=\{[^{}]*?"reason":\s*"(\w+)"')


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is required: scripts/setup.sh installs it"
    return node


def _table(relative: str) -> dict[str, dict[str, str]]:
    """A label table as the browser imports it."""
    url = json.dumps((ROOT / relative).as_uri())
    script = f"const m = await import({url}); console.log(JSON.stringify(m.default));"
    proc = subprocess.run([_node(), QUIET, "--input-type=module", "-e", script],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    table: dict[str, dict[str, str]] = json.loads(proc.stdout)
    return table


def _missing(table: dict[str, dict[str, str]], keys: set[str]) -> list[str]:
    """The keys without a non-empty Korean and English label."""
    return sorted(k for k in keys if not (table.get(k, {}).get("ko") and table.get(k, {}).get("en")))


def test_every_label_has_korean_and_english_and_every_key_used_exists() -> None:
    proc = subprocess.run([_node(), QUIET, str(ROOT / "tools" / "check_client_strings.mjs")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok:"), proc.stdout


def test_every_server_problem_and_reason_has_a_korean_and_english_message() -> None:
    slugs = {code.slug for code in ErrorCode} | {slug for slug, _ in problems._HTTP_PROBLEMS.values()}
    slugs.add("http-error")  # the problem middleware's name for any other HTTP error
    reasons = {m for path in (ROOT / "server").rglob("*.py") for m in REASON.findall(path.read_text("utf-8"))}
    assert {"cart_checked_out", "stale_version", "slug_taken"} <= reasons, "the reason scan finds the known ones"
    table = _table("web_client/shared/problem_strings.js")
    assert _missing(table, {f"problem.{slug}" for slug in slugs}) == []
    assert _missing(table, {f"problem.reason.{reason}" for reason in reasons}) == []


def test_every_store_kind_has_one_name_in_korean_and_english() -> None:
    kinds = set(typing.get_args(StoreKind)) | {"festival_plaza"}
    table = _table("web_client/shared/kind_strings.js")
    assert _missing(table, {f"kind.{kind}" for kind in kinds}) == []
    assert set(table) == {f"kind.{kind}" for kind in kinds}, "no name of a kind the server does not know"
    # The consoles offer exactly the kinds the server accepts.
    offered = re.search(r"export const KINDS = \[([^\]]*)\]", (ROOT / "web_client/shared/kinds.js").read_text("utf-8"))
    assert offered is not None
    assert set(re.findall(r"'(\w+)'", offered[1])) == set(typing.get_args(StoreKind))


def test_every_live_notice_shown_to_a_shopper_has_a_korean_and_english_text() -> None:
    shown = set(NOTICE_KINDS) - {"scene_published"}  # that one reloads the scene instead of saying anything
    assert _missing(_table("web_client/js/strings.js"), {f"notice.{kind}" for kind in shown}) == []


def test_every_close_that_ends_the_live_connection_is_said_in_both_languages() -> None:
    """After these the page does not reconnect (docs/PROTOCOL.md): it says why, never the bare close name."""
    wanted = {f"live.close.{code.name.lower()}" for code in NO_AUTOMATIC_RETRY}
    assert _missing(_table("web_client/js/strings.js"), wanted) == []
