"""Store layouts: the layout file model, parsing and checks, templates and auto-layout."""

from storefront_builder.layout.auto import MAX_FIXTURE_SIZE, auto_layout
from storefront_builder.layout.models import (
    Entrance,
    FixtureSpec,
    Floor,
    Layout,
    PortalSpec,
    SignSpec,
    SpawnPointSpec,
    ZoneSpec,
)
from storefront_builder.layout.parse import check_layout, parse_layout
from storefront_builder.layout.templates import TEMPLATE_KINDS, load_template, plaza_layout

__all__ = [
    "MAX_FIXTURE_SIZE",
    "TEMPLATE_KINDS",
    "Entrance",
    "FixtureSpec",
    "Floor",
    "Layout",
    "PortalSpec",
    "SignSpec",
    "SpawnPointSpec",
    "ZoneSpec",
    "auto_layout",
    "check_layout",
    "load_template",
    "parse_layout",
    "plaza_layout",
]
