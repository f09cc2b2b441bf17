"""The asset validation report, its stable error codes and the limits they enforce."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Vec3 = tuple[float, float, float]

MAX_MODEL_BYTES = 15 * 1024 * 1024
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_TRIANGLES = 100_000
MAX_NODES = 10_000
MAX_NODE_DEPTH = 64
MAX_TEXTURE_SIDE = 2048
MAX_IMAGE_SIDE = 4096
# Above this many declared pixels an image is treated as a decompression bomb rather than merely too big
# (Pillow's own default warning threshold, ~89 Mpx).
BOMB_PIXELS = 89_478_485

# Stable error codes: clients and tests match on these, never on messages.
CODES: dict[str, str] = {
    "too_large": "the file is bigger than the byte limit",
    "not_glb": "not a binary glTF 2.0 (GLB) nor a glTF JSON file",
    "truncated": "a GLB header or chunk length points past the end of the file",
    "bad_json": "the glTF JSON does not parse or is not an object",
    "json_too_large": "the GLB JSON chunk is larger than 4 MiB",
    "unsupported_format": "glTF version other than 2.x, a required extension we cannot check, "
                          "or a product image that is not PNG, JPEG or WebP",
    "invalid_gltf": "a glTF property has the wrong type or an impossible value",
    "bad_reference": "an index points at an object that does not exist",
    "external_uri": "a URI refers to a file or URL outside the asset",
    "path_traversal": "a URI contains '..' or is an absolute path",
    "data_uri_not_allowed": "a data: URI that is not base64 or has a media type we do not accept",
    "bad_image_type": "embedded image content is not PNG, JPEG or WebP (sniffed, whatever mimeType says)",
    "bad_image": "the image data cannot be decoded",
    "texture_too_large": "a texture is larger than 2048×2048",
    "image_too_large": "a product image is larger than 4096×4096",
    "decompression_bomb": "an image declares an absurd pixel count",
    "too_many_triangles": "more than 100,000 triangles",
    "too_many_nodes": "more than 10,000 nodes",
    "node_depth": "the node hierarchy is deeper than 64 levels",
    "node_cycle": "the node hierarchy contains a cycle",
    "node_two_parents": "a node is the child of two parents",
    "nan_or_inf": "a float accessor or node transform holds NaN or infinity",
    "accessor_out_of_bounds": "an accessor reads past the end of its bufferView",
    "buffer_view_out_of_bounds": "a bufferView reads past the end of its buffer",
    "index_out_of_range": "a vertex index is not below the vertex count",
    "malformed": "the file is malformed in a way the validator did not anticipate",
}

Code = str


class AssetIssue(BaseModel):
    """One problem, with a stable ``code`` (see :data:`CODES`) and a human message."""

    model_config = ConfigDict(frozen=True)

    code: Code
    message: str


class AssetReport(BaseModel):
    """Outcome of validating one merchant asset; ``ok`` is False exactly when there are errors."""

    kind: Literal["model", "image"]
    format: str | None = Field(default=None, description="glb, gltf, png, jpeg or webp")
    ok: bool = True
    errors: list[AssetIssue] = Field(default_factory=list)
    warnings: list[AssetIssue] = Field(default_factory=list)
    bytes: int = 0
    triangles: int | None = None
    nodes: int | None = None
    textures: int | None = None
    bounds: tuple[Vec3, Vec3] | None = Field(default=None, description="World-space AABB (min, max), metres")
    width: int | None = None
    height: int | None = None

    def codes(self) -> list[str]:
        """The error codes, in the order found."""
        return [e.code for e in self.errors]


class Reject(Exception):
    """Internal: stop validating with one error (the caller turns it into the report)."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
