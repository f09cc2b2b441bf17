"""Immutable scene files: ``/scenes/{hash}.glb`` and ``/scenes/{hash}.json``."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.domain.errors import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"


async def get_scene(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    scene_hash, dot, ext = name.partition(".")
    if not dot or ext not in ("glb", "json"):
        raise NotFound("no such scene")
    etag = f'"{scene_hash}.{ext}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    storage = request.app[keys.STORAGE]
    storage.scene_path(scene_hash, "." + ext)  # validates the hash before anything else
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    if ext == "glb":
        body = await storage.read_scene(scene_hash, ".glb")
        return web.Response(body=body, content_type="model/gltf-binary", headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = await storage.read_scene(scene_hash, ".json.gz")
        headers["Content-Encoding"] = "gzip"
    else:
        body = await storage.read_scene(scene_hash, ".json")
    return web.Response(body=body, content_type="application/json", headers=headers)


def install(app: web.Application) -> None:
    app.router.add_get("/scenes/{name}", get_scene)
