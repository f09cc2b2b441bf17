"""Where the files that ship beside the code live: in an installed wheel, or in the source checkout.

A wheel carries them inside the packages (``setup.py`` copies them into ``<package>/_bundle/`` when it builds
the wheel); a checkout (and an editable install) reads them where they are kept. This is the one place that
knows both, so nothing else looks next to the source tree.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
BUNDLE = "_bundle"


def bundled(package_dir: Path, name: str, checkout_relative: str) -> Path:
    """``package_dir/_bundle/name`` when the wheel carries it, else ``checkout_relative`` in the checkout."""
    packaged = package_dir / BUNDLE / name
    return packaged if packaged.is_dir() else CHECKOUT / checkout_relative


def assets_dir() -> Path:
    """The top-level ``assets/`` folder: the built-in asset kit and the demo festival's data."""
    return bundled(Path(__file__).parent, "assets", "assets")
