"""Step ``floor_and_walls``: the store's shell as one static node."""

from __future__ import annotations

from storefront_builder.build_steps.context import BuildContext
from storefront_builder.geometry.room import shell


def floor_and_walls(ctx: BuildContext) -> None:
    """Floor, walls with the entrance gap and (for roofed kinds) the ceiling."""
    ctx.emit("shell", shell(ctx.plan), parent=ctx.group("structure"))
