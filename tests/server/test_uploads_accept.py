"""Uploads are judged by their bytes: an image is served as what it is, and a model is accepted only when the
scene build can use it (binary glTF without a byte order mark, readable by the build's own loader)."""

from __future__ import annotations

import io
import struct
from typing import Any

import trimesh
from aiohttp.test_utils import TestClient
from factories import bearer, make_tenant
from PIL import Image

from server.persistence.database import Database
from server.settings import Settings
from storefront_builder.catalog.sample import sample_catalog_json

PROBLEM = "application/problem+json"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def _glb(mesh: Any = None) -> bytes:
    return bytes((mesh or trimesh.creation.box(extents=(0.1, 0.2, 0.1))).export(file_type="glb"))


def _with_bom(glb: bytes) -> bytes:
    """The same GLB with a UTF-8 byte order mark in front of its JSON chunk (which glTF 2.0 forbids)."""
    length, kind = struct.unpack_from("<II", glb, 12)
    text = b"\xef\xbb\xbf" + glb[20:20 + length].rstrip(b" ")
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), kind) + text + glb[20 + length:]
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def _gltf_json() -> bytes:
    files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(trimesh.creation.box()), embed_buffers=True)
    return bytes(files["model.gltf"])


async def _store(client: TestClient[Any, Any], settings: Settings) -> tuple[str, dict[str, str]]:
    t = await make_tenant(client, settings)
    r = await client.put(f"/api/v1/stores/{t.store}/catalog", data=sample_catalog_json("convenience_store", 3),
                         headers={**bearer(t.merchant), "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    return f"/api/v1/stores/{t.store}/products", bearer(t.merchant)


async def test_an_image_is_served_as_what_its_bytes_are(client: TestClient[Any, Any], settings: Settings) -> None:
    products, h = await _store(client, settings)
    r = await client.put(f"{products}/CON-00001/image", data=_png(), headers={**h, "Content-Type": "text/html"})
    assert r.status == 415 and r.content_type == PROBLEM  # never stored, so never served as HTML
    r = await client.put(f"{products}/CON-00001/image", data=_png(), headers={**h, "Content-Type": "image/jpeg"})
    assert r.status == 200, await r.text()
    image = await client.get(f"{products}/CON-00001/image")
    assert image.status == 200 and image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_image_stored_earlier_with_a_wrong_type_is_served_as_its_bytes(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    from sqlalchemy import update

    from server.persistence.tables import Asset

    products, h = await _store(client, settings)
    r = await client.put(f"{products}/CON-00001/image", data=_png(), headers={**h, "Content-Type": "image/png"})
    sha = (await r.json())["sha256"]
    database = Database.connect(settings.effective_database_url)
    try:  # what an older server recorded: the uploader's claim
        async with database.write() as db:
            await db.execute(update(Asset).where(Asset.sha256 == sha).values(media_type="text/html"))
    finally:
        await database.close()
    image = await client.get(f"{products}/CON-00001/image")
    assert image.headers["Content-Type"] == "image/png"


async def test_a_gltf_json_model_is_refused_as_unsupported(client: TestClient[Any, Any], settings: Settings) -> None:
    products, h = await _store(client, settings)
    gltf = _gltf_json()
    r = await client.put(f"{products}/CON-00001/model", data=gltf, headers={**h, "Content-Type": "model/gltf+json"})
    assert r.status == 415 and r.content_type == PROBLEM
    assert "model/gltf-binary" in (await r.json(content_type=PROBLEM))["detail"]
    # Declared as binary, it is judged by its bytes: still glTF JSON, which the scene build cannot read.
    r = await client.put(f"{products}/CON-00001/model", data=gltf, headers={**h, "Content-Type": "model/gltf-binary"})
    assert r.status == 415 and r.content_type == PROBLEM
    problem = await r.json(content_type=PROBLEM)
    assert [e["code"] for e in problem["errors"]] == ["not_glb"]
    assert ".gltf" in problem["errors"][0]["msg"] and ".glb" in problem["errors"][0]["msg"]


async def test_a_glb_whose_json_starts_with_a_bom_is_refused(client: TestClient[Any, Any], settings: Settings) -> None:
    products, h = await _store(client, settings)
    r = await client.put(f"{products}/CON-00001/model", data=_with_bom(_glb()),
                         headers={**h, "Content-Type": "model/gltf-binary"})
    assert r.status == 422 and r.content_type == PROBLEM
    problem = await r.json(content_type=PROBLEM)
    assert [e["code"] for e in problem["errors"]] == ["json_bom"]
    assert "byte order mark" in problem["errors"][0]["msg"]


async def test_a_model_the_build_would_replace_by_a_placeholder_is_refused(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    # 81,920 triangles: under the validator's limit (100,000) but over what the build loads (50,000).
    products, h = await _store(client, settings)
    sphere = _glb(trimesh.creation.icosphere(subdivisions=6))
    r = await client.put(f"{products}/CON-00001/model", data=io.BytesIO(sphere),
                         headers={**h, "Content-Type": "model/gltf-binary"})
    assert r.status == 422 and r.content_type == PROBLEM
    assert [e["code"] for e in (await r.json(content_type=PROBLEM))["errors"]] == ["model_too_large"]


async def test_a_good_glb_is_still_accepted(client: TestClient[Any, Any], settings: Settings) -> None:
    products, h = await _store(client, settings)
    for media in ("model/gltf-binary", "application/octet-stream"):
        r = await client.put(f"{products}/CON-00001/model", data=_glb(), headers={**h, "Content-Type": media})
        assert r.status == 200, await r.text()
        assert (await r.json())["report"]["format"] == "glb"
