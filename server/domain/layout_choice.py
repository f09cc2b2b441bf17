"""A store's layout choice as it is stored (``stores.layout_json``), read and written in one place.

Three choices: nothing stored (``auto``: laid out from the catalog with the store's own kind), a template
marker ``{"template": kind}`` (laid out from the catalog with that kind's template), or a whole custom layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class LayoutChoice:
    source: Literal["auto", "template", "custom"]
    template: str | None  # the kind whose template is laid out from the catalog (auto and template)
    layout: dict[str, Any] | None = None  # the custom layout document


def read_layout_choice(layout_json: str | None, store_kind: str) -> LayoutChoice:
    if not layout_json:
        return LayoutChoice("auto", store_kind)
    stored: dict[str, Any] = json.loads(layout_json)
    if set(stored) == {"template"}:
        return LayoutChoice("template", str(stored["template"]))
    return LayoutChoice("custom", None, stored)


def template_marker(kind: str) -> str:
    """What ``layout_json`` holds when the merchant picked a template."""
    return json.dumps({"template": kind})


def custom_layout(layout: dict[str, Any]) -> str:
    """What ``layout_json`` holds for a custom layout document."""
    return json.dumps(layout, ensure_ascii=False)
