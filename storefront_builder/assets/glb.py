"""The glTF container: GLB header and chunks parsed by hand with ``struct`` (every length checked before it
is trusted), or a ``.gltf`` JSON document; plus the URI policy (embedded base64 ``data:`` URIs only)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from storefront_builder.assets.report import MAX_JSON_BYTES, AssetIssue, Reject

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
BUFFER_MEDIA = frozenset({"", "application/octet-stream", "application/gltf-buffer"})
IMAGE_MEDIA = frozenset({"image/png", "image/jpeg", "image/webp", "application/octet-stream"})


@dataclass
class Container:
    """A parsed glTF: ``format`` is ``glb`` or ``gltf``; ``bin`` is the GLB BIN chunk if any."""

    format: str
    doc: dict[str, Any]
    bin: bytes | None = None
    warnings: list[AssetIssue] = field(default_factory=list)


def load_json(raw: bytes) -> dict[str, Any]:
    """Decode and parse glTF JSON (size already bounded by the caller); must be an object."""
    try:
        text = raw.decode("utf-8-sig")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Reject("bad_json", f"glTF JSON does not parse: {type(exc).__name__}") from exc
    if not isinstance(doc, dict):
        raise Reject("bad_json", "glTF JSON is not an object")
    return doc


def parse_container(data: bytes) -> Container:
    """GLB by its magic, ``.gltf`` JSON by a leading ``{``; anything else is ``not_glb``."""
    if data[:4] == GLB_MAGIC:
        return _parse_glb(data)
    if data.lstrip(b" \t\r\n")[:1] == b"{" or data.startswith(b"\xef\xbb\xbf"):
        return Container(format="gltf", doc=load_json(data))
    raise Reject("not_glb", "not a GLB (no 'glTF' magic) nor glTF JSON")


def _parse_glb(data: bytes) -> Container:
    if len(data) < 12:
        raise Reject("truncated", "GLB header is shorter than 12 bytes")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise Reject("unsupported_format", f"GLB container version {version}; only 2 is supported")
    if length > len(data):
        raise Reject("truncated", f"GLB header declares {length:,} bytes but the file has {len(data):,}")
    if length < len(data):
        raise Reject("invalid_gltf", f"GLB header declares {length:,} bytes but the file has {len(data):,}")
    container: Container | None = None
    offset = 12
    while offset < length:
        if offset + 8 > length:
            raise Reject("truncated", f"chunk header at byte {offset} is cut off")
        chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
        offset += 8
        if container is None:
            if chunk_type != CHUNK_JSON:
                raise Reject("not_glb", "the first GLB chunk is not JSON")
            # checked before the truncation test so a huge declared length reports what it is
            if chunk_length > MAX_JSON_BYTES:
                raise Reject("json_too_large", f"JSON chunk declares {chunk_length:,} bytes; "
                                               f"the limit is {MAX_JSON_BYTES:,}")
        if chunk_length > length - offset:
            raise Reject("truncated", f"chunk at byte {offset - 8} declares {chunk_length:,} bytes "
                                      f"but only {length - offset:,} remain")
        payload = data[offset:offset + chunk_length]
        offset += chunk_length
        if container is None:
            container = Container(format="glb", doc=load_json(payload))
        elif chunk_type == CHUNK_BIN:
            if container.bin is not None:
                raise Reject("invalid_gltf", "GLB has more than one BIN chunk")
            container.bin = payload
        if chunk_length % 4:
            container.warnings.append(AssetIssue(code="chunk_alignment",
                                                 message="GLB chunk length is not a multiple of 4"))
    if container is None:
        raise Reject("truncated", "GLB has no JSON chunk")
    return container


def resolve_uri(uri: object, where: str, media: frozenset[str]) -> bytes:
    """Return the bytes of an embedded base64 ``data:`` URI; reject every other URI with its code."""
    if not isinstance(uri, str):
        raise Reject("invalid_gltf", f"{where}.uri is not a string")
    text = uri.strip()
    if text[:5].lower() == "data:":
        return _data_uri(text, where, media)
    decoded = urllib.parse.unquote(text).replace("\\", "/")
    if ".." in decoded.split("/") or ".." in decoded:
        raise Reject("path_traversal", f"{where}.uri climbs out of the asset: {text[:80]!r}")
    if _SCHEME.match(decoded) and not _DRIVE.match(decoded):
        raise Reject("external_uri", f"{where}.uri points outside the asset: {text[:80]!r}")
    if decoded.startswith("/") or _DRIVE.match(decoded):
        raise Reject("path_traversal", f"{where}.uri is an absolute path: {text[:80]!r}")
    raise Reject("external_uri", f"{where}.uri refers to an external file: {text[:80]!r}; embed it instead")


def _data_uri(text: str, where: str, media: frozenset[str]) -> bytes:
    header, comma, payload = text[5:].partition(",")
    if not comma:
        raise Reject("data_uri_not_allowed", f"{where}.uri is a data: URI without data")
    params = [p.strip().lower() for p in header.split(";")]
    if "base64" not in params[1:]:
        raise Reject("data_uri_not_allowed", f"{where}.uri data: URI is not base64")
    if params[0] not in media:
        raise Reject("data_uri_not_allowed", f"{where}.uri data: URI has media type {params[0]!r}")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Reject("invalid_gltf", f"{where}.uri base64 does not decode") from exc
