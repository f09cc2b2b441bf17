"""The browser's protocol constants are generated from the Python protocol, and the committed file is current."""

from __future__ import annotations

import json
import re
from pathlib import Path

from server.live.core.protocol import NO_AUTOMATIC_RETRY, PROTOCOL_VERSION, CloseCode
from server.live.protocol_js import render

GENERATED = Path(__file__).resolve().parents[3] / "web_client" / "shared" / "protocol.js"


def test_the_committed_module_is_what_the_generator_makes() -> None:
    assert GENERATED.read_text(encoding="utf-8") == render(), (
        "web_client/shared/protocol.js is stale: python -m server.live.protocol_js > web_client/shared/protocol.js")


def test_the_module_carries_every_close_code_and_the_version() -> None:
    text = render()
    close = json.loads(re.search(r"export const CLOSE = Object.freeze\((\{.*?\})\);", text)[1])  # type: ignore[index]
    assert close == {code.name: code.value for code in CloseCode}
    retry = json.loads(re.search(r"NO_AUTOMATIC_RETRY = new Set\((\[.*?\])\);", text)[1])  # type: ignore[index]
    assert set(retry) == set(NO_AUTOMATIC_RETRY) and CloseCode.FLOODING not in retry
    assert f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};" in text


def test_no_close_code_is_written_by_hand_in_the_client() -> None:
    client = GENERATED.parents[1]
    for path in client.rglob("*.js"):
        if path != GENERATED and "dist" not in path.relative_to(client).parts:  # the bundle holds protocol.js
            assert not re.search(r"\b40(0\d|10)\b", path.read_text(encoding="utf-8")), path
