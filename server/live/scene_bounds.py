"""The walkable box of each store's current scene, read from the scene's manifest: the file I/O behind the
pure :mod:`server.live.core.bounds`. Read once per scene (a rebuild names a new one) and kept per store."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from server.domain.errors import NotFound
from server.live.core.bounds import Bounds, bounds_from_manifest

if TYPE_CHECKING:
    from server.storage import Storage


class SceneBounds:
    """Room key → (scene hash, its walkable box): one entry per store or plaza this worker has seen."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._known: dict[str, tuple[str, Bounds | None]] = {}

    async def of(self, room: str, scene_hash: str | None) -> Bounds | None:
        """The box of ``room``'s scene ``scene_hash``; None when it has no scene or its manifest says none
        (the room then clamps only to what a pose frame can carry)."""
        if not scene_hash:
            return None
        known = self._known.get(room)
        if known is not None and known[0] == scene_hash:
            return known[1]
        try:
            manifest = json.loads(await self._storage.read_scene(scene_hash, ".json"))
        except NotFound:  # built into another worker's data directory: nothing to read here
            manifest = None
        except (OSError, ValueError):  # unreadable now; the next join tries again
            return None
        bounds = bounds_from_manifest(manifest) if isinstance(manifest, dict) else None
        self._known[room] = (scene_hash, bounds)
        return bounds
