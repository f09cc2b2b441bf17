"""Files under the data directory: streamed uploads, content-addressed assets, immutable scenes.

Client-supplied names never become paths: uploads land in a random temp file and are renamed to their
SHA-256; scenes are named by their content hash, checked against a strict pattern before any path is made.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from server.domain.errors import NotFound, PayloadTooLarge

CHUNK = 256 * 1024
HASH_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Upload:
    path: Path
    sha256: str
    size: int


class Storage:
    """The data directory's layout; every path it returns is inside ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.tmp = self.root / "tmp"
        self.assets = self.root / "assets"
        self.scenes = self.root / "scenes"
        for folder in (self.tmp, self.assets, self.scenes):
            folder.mkdir(parents=True, exist_ok=True)
        self._scene_cache: OrderedDict[str, bytes] = OrderedDict()
        self._scene_cache_bytes = 0
        self.scene_cache_limit = 256 << 20

    def asset_path(self, sha256: str) -> Path:
        if not HASH_RE.match(sha256):
            raise NotFound("no such asset")
        return self.assets / sha256[:2] / sha256

    def scene_path(self, scene_hash: str, suffix: str) -> Path:
        if not HASH_RE.match(scene_hash) or suffix not in (".glb", ".json", ".json.gz", ".report.json"):
            raise NotFound("no such scene")
        return self.scenes / f"{scene_hash}{suffix}"

    async def receive(self, request: web.Request, limit: int) -> Upload:
        """Stream the request body to a temp file, hashing as it goes; 413 as soon as it passes ``limit``."""
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the upload is {request.content_length} bytes; the limit is {limit}")
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        path = Path(name)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := await request.content.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(f"the upload is over the limit of {limit} bytes")
                    digest.update(chunk)
                    out.write(chunk)  # page-cache writes of one chunk: microseconds, not worth a thread hop
        except BaseException:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink of a temp file; nothing to wait for
            raise
        return Upload(path, digest.hexdigest(), size)

    def keep_asset(self, upload: Upload) -> Path:
        """Move a validated upload to its content address (idempotent)."""
        target = self.asset_path(upload.sha256)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            upload.path.unlink(missing_ok=True)
        else:
            os.replace(upload.path, target)
        return target

    async def read_scene(self, scene_hash: str, suffix: str) -> bytes:
        """Scene bytes from a small LRU cache; scenes are immutable, so a cached copy never goes stale."""
        key = scene_hash + suffix
        cached = self._scene_cache.get(key)
        if cached is not None:
            self._scene_cache.move_to_end(key)
            return cached
        path = self.scene_path(scene_hash, suffix)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound("no such scene") from None
        self._scene_cache[key] = data
        self._scene_cache_bytes += len(data)
        while self._scene_cache_bytes > self.scene_cache_limit and len(self._scene_cache) > 1:
            _, dropped = self._scene_cache.popitem(last=False)
            self._scene_cache_bytes -= len(dropped)
        return data
