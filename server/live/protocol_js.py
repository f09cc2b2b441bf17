"""``web_client/shared/protocol.js``: the live protocol's constants for the browser, generated from
``server/live/protocol.py`` so the two cannot drift (a test fails when the committed file is stale).

Regenerate with ``python -m server.live.protocol_js > web_client/shared/protocol.js``.
"""

from __future__ import annotations

import json

from server.live.core.protocol import (
    EMOTES,
    MAX_CHAT_CHARS,
    NO_AUTOMATIC_RETRY,
    NOTICE_KINDS,
    PROTOCOL_VERSION,
    CloseCode,
)


def render() -> str:
    """The module's text: plain constants, frozen, in a stable order."""
    names = {code.value: code.name.lower() for code in CloseCode}
    lines = [
        "// Generated from server/live/protocol.py by `python -m server.live.protocol_js`: do not edit.",
        f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};",
        f"export const MAX_CHAT_CHARS = {MAX_CHAT_CHARS};",
        f"export const EMOTES = Object.freeze({json.dumps(list(EMOTES))});",
        f"export const NOTICE_KINDS = Object.freeze({json.dumps(list(NOTICE_KINDS))});",
        "/** Application close code → name. */",
        f"export const CLOSE_NAMES = Object.freeze({json.dumps({str(k): v for k, v in names.items()})});",
        "/** Application close code by name, e.g. CLOSE.UNAUTHORIZED. */",
        f"export const CLOSE = Object.freeze({json.dumps({code.name: code.value for code in CloseCode})});",
        "/** After these the client must not reconnect on its own: it tells the shopper instead. */",
        f"export const NO_AUTOMATIC_RETRY = new Set({json.dumps(sorted(NO_AUTOMATIC_RETRY))});",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
