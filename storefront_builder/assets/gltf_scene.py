"""glTF scene checks: meshes and triangle counts, the node hierarchy, textures and world bounds."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.assets.glb import IMAGE_MEDIA, resolve_uri
from storefront_builder.assets.gltf_data import Data, finite_numbers, get_index, get_int
from storefront_builder.assets.image import check_image, sniff_image
from storefront_builder.assets.report import (
    MAX_NODE_DEPTH,
    MAX_NODES,
    MAX_TEXTURE_SIDE,
    MAX_TRIANGLES,
    AssetIssue,
    Reject,
    Vec3,
)

# Decoding is the slow part of validation: cap the total so many tiny-but-huge-declared textures can't stall.
MAX_TOTAL_TEXTURE_PIXELS = 16 * MAX_TEXTURE_SIDE * MAX_TEXTURE_SIDE
_INDEX_TYPES = (5121, 5123, 5125)
Matrix = npt.NDArray[np.float64]


def check_meshes(data: Data) -> list[int]:
    """Validate primitives; return the triangle count of each mesh (one instance)."""
    accessors = data.accessors
    triangles: list[int] = []
    for m, mesh in enumerate(data.arrays["meshes"]):
        prims = mesh.get("primitives")
        if not isinstance(prims, list) or not prims or not all(isinstance(p, dict) for p in prims):
            raise Reject("invalid_gltf", f"meshes[{m}].primitives must be a non-empty list of objects")
        total = 0
        for p, prim in enumerate(prims):
            where = f"meshes[{m}].primitives[{p}]"
            attributes = prim.get("attributes")
            if not isinstance(attributes, dict) or not attributes:
                raise Reject("invalid_gltf", f"{where}.attributes must be a non-empty object")
            for name in attributes:
                get_index(attributes, name, f"{where}.attributes", len(accessors))
            mode = get_int(prim, "mode", where, default=4)
            if mode > 6:
                raise Reject("invalid_gltf", f"{where}.mode {mode} is not a glTF primitive mode")
            position = get_index(attributes, "POSITION", f"{where}.attributes", len(accessors))
            vertices = accessors[position].count if position is not None else 0
            indices = get_index(prim, "indices", where, len(accessors))
            n = vertices
            if indices is not None:
                acc = accessors[indices]
                if acc.component_type not in _INDEX_TYPES or acc.components != 1:
                    raise Reject("invalid_gltf", f"{where}.indices must be unsigned SCALAR")
                values = acc.array()
                if values is not None and position is not None and int(values.max()) >= vertices:
                    raise Reject("index_out_of_range", f"{where} indexes past its {vertices} vertices")
                n = acc.count
            total += n // 3 if mode == 4 else max(n - 2, 0) if mode in (5, 6) else 0
        triangles.append(total)
    return triangles


def check_nodes(data: Data) -> list[int]:
    """Check node references, transforms and the hierarchy; return the root nodes in document order."""
    nodes = data.arrays["nodes"]
    if len(nodes) > MAX_NODES:
        raise Reject("too_many_nodes", f"{len(nodes):,} nodes; the limit is {MAX_NODES:,}")
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        where = f"nodes[{i}]"
        get_index(node, "mesh", where, len(data.arrays["meshes"]))
        children = node.get("children", [])
        if not isinstance(children, list):
            raise Reject("invalid_gltf", f"{where}.children must be a list")
        for child in children:
            if isinstance(child, bool) or not isinstance(child, int) or not 0 <= child < len(nodes):
                raise Reject("bad_reference", f"{where}.children has an invalid node index {child!r}")
            if child == i:
                raise Reject("node_cycle", f"{where} is its own child")
            if child in parent:
                raise Reject("node_two_parents",
                             f"nodes[{child}] is a child of nodes[{parent[child]}] and {where}")
            parent[child] = i
        for key, length in (("translation", 3), ("rotation", 4), ("scale", 3), ("matrix", 16)):
            if key in node:
                finite_numbers(node[key], f"{where}.{key}", length)
    roots = [i for i in range(len(nodes)) if i not in parent]
    # With at most one parent each, a node unreachable from every root must sit on (or under) a cycle.
    depth = dict.fromkeys(roots, 1)
    queue = deque(roots)
    while queue:
        i = queue.popleft()
        for child in nodes[i].get("children", []):
            depth[child] = depth[i] + 1
            if depth[child] > MAX_NODE_DEPTH:
                raise Reject("node_depth", f"node hierarchy is deeper than {MAX_NODE_DEPTH} levels")
            queue.append(child)
    if len(depth) < len(nodes):
        stuck = min(set(range(len(nodes))) - depth.keys())
        raise Reject("node_cycle", f"nodes[{stuck}] is part of a cycle in the node hierarchy")
    for s, scene in enumerate(data.arrays["scenes"]):
        scene_nodes = scene.get("nodes", [])
        if not isinstance(scene_nodes, list):
            raise Reject("invalid_gltf", f"scenes[{s}].nodes must be a list")
        for n in scene_nodes:
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(nodes):
                raise Reject("bad_reference", f"scenes[{s}].nodes has an invalid node index {n!r}")
    get_index(data.doc, "scene", "scene", len(data.arrays["scenes"]))
    return roots


def _instances(data: Data, node: dict[str, Any]) -> int:
    ext = node.get("extensions", {})
    inst = ext.get("EXT_mesh_gpu_instancing") if isinstance(ext, dict) else None
    if not isinstance(inst, dict) or not isinstance(inst.get("attributes"), dict):
        return 1
    counts = [data.accessors[i].count for i in
              (get_index(inst["attributes"], k, "EXT_mesh_gpu_instancing", len(data.accessors))
               for k in inst["attributes"]) if i is not None]
    return max(counts, default=1)


def count_triangles(data: Data, mesh_triangles: list[int]) -> int:
    """Triangles drawn: each mesh times the nodes (and GPU instances) that use it; unused meshes once."""
    uses = [0] * len(mesh_triangles)
    for node in data.arrays["nodes"]:
        if "mesh" in node:
            uses[int(node["mesh"])] += _instances(data, node)
    total = sum(t * max(u, 1) for t, u in zip(mesh_triangles, uses, strict=True))
    if total > MAX_TRIANGLES:
        raise Reject("too_many_triangles", f"{total:,} triangles; the limit is {MAX_TRIANGLES:,}")
    return total


def check_images(data: Data, warnings: list[AssetIssue]) -> int:
    """Every image is embedded, really PNG/JPEG/WebP (by bytes), ≤ 2048² and decodable."""
    images = data.arrays["images"]
    budget = MAX_TOTAL_TEXTURE_PIXELS
    for i, image in enumerate(images):
        where = f"images[{i}]"
        if "uri" in image:
            payload = resolve_uri(image["uri"], where, IMAGE_MEDIA)
        else:
            view_index = get_index(image, "bufferView", where, len(data.arrays["bufferViews"]))
            if view_index is None:
                raise Reject("invalid_gltf", f"{where} has neither uri nor bufferView")
            view = data.arrays["bufferViews"][view_index]
            start = int(view.get("byteOffset", 0))
            payload = data.buffers[int(view["buffer"])][start:start + int(view["byteLength"])]
        sniffed = sniff_image(payload)
        claimed = image.get("mimeType")
        if sniffed and isinstance(claimed, str) and claimed != f"image/{sniffed}":
            warnings.append(AssetIssue(code="mime_mismatch",
                                       message=f"{where} claims {claimed} but holds {sniffed.upper()}"))
        _, width, height = check_image(payload, max_side=MAX_TEXTURE_SIDE, too_large_code="texture_too_large",
                                       type_code="bad_image_type", label=where)
        budget -= width * height
        if budget < 0:
            raise Reject("texture_too_large", "textures add up to more than 16 full 2048² textures")
    for t, texture in enumerate(data.arrays["textures"]):
        get_index(texture, "source", f"textures[{t}]", len(images))
    return len(images)


def _local(node: dict[str, Any]) -> Matrix:
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T  # glTF stores column-major
    x, y, z, w = node.get("rotation", [0.0, 0.0, 0.0, 1.0])
    rot = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ], dtype=np.float64)
    m = np.eye(4)
    m[:3, :3] = rot * np.array(node.get("scale", [1.0, 1.0, 1.0]), dtype=np.float64)
    m[:3, 3] = node.get("translation", [0.0, 0.0, 0.0])
    return m


def world_bounds(data: Data, roots: list[int]) -> tuple[Vec3, Vec3] | None:
    """World-space AABB of every mesh's POSITION box (GPU instance transforms are not applied)."""
    nodes = data.arrays["nodes"]
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    stack: list[tuple[int, Matrix]] = [(r, np.eye(4)) for r in roots]
    while stack:
        i, parent = stack.pop()
        world = parent @ _local(nodes[i])
        stack.extend((c, world) for c in nodes[i].get("children", []))
        if "mesh" not in nodes[i]:
            continue
        for prim in data.arrays["meshes"][int(nodes[i]["mesh"])]["primitives"]:
            position = prim["attributes"].get("POSITION")
            values = data.accessors[position].array() if position is not None else None
            if values is None or values.shape[1] != 3:
                continue
            corners = np.array(np.meshgrid(*zip(values.min(axis=0), values.max(axis=0), strict=True)))
            points = corners.reshape(3, -1).T.astype(np.float64)
            moved = points @ world[:3, :3].T + world[:3, 3]
            lo, hi = np.minimum(lo, moved.min(axis=0)), np.maximum(hi, moved.max(axis=0))
    if not np.isfinite(lo).all():
        return None
    return (float(lo[0]), float(lo[1]), float(lo[2])), (float(hi[0]), float(hi[1]), float(hi[2]))
