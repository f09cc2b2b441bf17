"""glTF binary data checks: buffers, bufferViews and accessors.

All offset arithmetic uses Python ints (no overflow); an accessor is only ever read through numpy after
its whole extent has been proven to lie inside its bufferView, and the view inside its buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.assets.glb import BUFFER_MEDIA, Container, resolve_uri
from storefront_builder.assets.report import Reject

COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
COMPONENT_DTYPES = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
ARRAYS = ("buffers", "bufferViews", "accessors", "meshes", "nodes", "images", "textures", "scenes",
          "materials", "samplers", "skins", "cameras", "animations")


def get_int(obj: dict[str, Any], key: str, where: str, default: int | None = None, minimum: int = 0) -> int:
    """An integer property (bools refused), at least ``minimum``."""
    value = obj.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise Reject("invalid_gltf", f"{where}.{key} must be an integer")
    if value < minimum:
        raise Reject("invalid_gltf", f"{where}.{key} must be at least {minimum}")
    return value


def get_index(obj: dict[str, Any], key: str, where: str, count: int) -> int | None:
    """An optional index into an array of ``count`` items."""
    if key not in obj:
        return None
    value = get_int(obj, key, where)
    if value >= count:
        raise Reject("bad_reference", f"{where}.{key} = {value} but there are only {count}")
    return value


def finite_numbers(value: object, where: str, length: int | None = None) -> list[float]:
    """A list of finite numbers (NaN/Inf → ``nan_or_inf``)."""
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise Reject("invalid_gltf", f"{where} must be a list of {length or 'some'} numbers")
    out: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise Reject("invalid_gltf", f"{where} must contain numbers")
        if not math.isfinite(item):
            raise Reject("nan_or_inf", f"{where} contains NaN or infinity")
        out.append(float(item))
    return out


@dataclass
class Accessor:
    """A checked accessor: its element layout and, when backed by data, where its bytes are."""

    count: int
    component_type: int
    components: int
    element_size: int
    buffer: bytes | None = None
    offset: int = 0
    stride: int = 0

    def array(self) -> npt.NDArray[Any] | None:
        """A zero-copy numpy view (count × components); only for tightly packed component columns."""
        if self.buffer is None or self.element_size != COMPONENT_BYTES[self.component_type] * self.components:
            return None
        dtype = np.dtype(COMPONENT_DTYPES[self.component_type])
        return np.ndarray(shape=(self.count, self.components), dtype=dtype, buffer=self.buffer,
                          offset=self.offset, strides=(self.stride, COMPONENT_BYTES[self.component_type]))


@dataclass
class Data:
    """The document's arrays with buffers resolved and accessors checked."""

    doc: dict[str, Any]
    arrays: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    buffers: list[bytes] = field(default_factory=list)
    accessors: list[Accessor] = field(default_factory=list)


def element_size(component_type: int, components: int, type_name: str) -> int:
    """Bytes per element, with the glTF rule that matrix columns of 1- or 2-byte components pad to 4."""
    size = COMPONENT_BYTES[component_type]
    if type_name in ("MAT2", "MAT3") and size < 4:
        rows = 2 if type_name == "MAT2" else 3
        return rows * (-(-rows * size // 4) * 4)
    return size * components


def collect_arrays(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every top-level array must be a list of objects."""
    arrays: dict[str, list[dict[str, Any]]] = {}
    for key in ARRAYS:
        value = doc.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise Reject("invalid_gltf", f"{key} must be a list of objects")
        arrays[key] = value
    return arrays


def load_data(container: Container, arrays: dict[str, list[dict[str, Any]]]) -> Data:
    """Resolve buffers, then check every bufferView and accessor against them."""
    data = Data(doc=container.doc, arrays=arrays)
    for i, buf in enumerate(arrays["buffers"]):
        where = f"buffers[{i}]"
        length = get_int(buf, "byteLength", where, minimum=1)
        if "uri" in buf:
            payload = resolve_uri(buf["uri"], where, BUFFER_MEDIA)
        elif i == 0 and container.bin is not None:
            payload = container.bin
        else:
            raise Reject("invalid_gltf", f"{where} has no uri and no GLB BIN chunk")
        if len(payload) < length:
            raise Reject("truncated", f"{where} declares {length:,} bytes but holds {len(payload):,}")
        data.buffers.append(payload[:length] if len(payload) - length > 3 else payload)
    views = arrays["bufferViews"]
    for i, view in enumerate(views):
        where = f"bufferViews[{i}]"
        b = get_index(view, "buffer", where, len(data.buffers))
        if b is None:
            raise Reject("invalid_gltf", f"{where}.buffer is required")
        start = get_int(view, "byteOffset", where, default=0)
        length = get_int(view, "byteLength", where, minimum=1)
        buffer_length = int(arrays["buffers"][b]["byteLength"])
        if start + length > buffer_length:
            raise Reject("buffer_view_out_of_bounds",
                         f"{where} spans bytes {start}..{start + length} of a {buffer_length}-byte buffer")
        if "byteStride" in view:
            stride = get_int(view, "byteStride", where, minimum=4)
            if stride > 252 or stride % 4:
                raise Reject("invalid_gltf", f"{where}.byteStride must be a multiple of 4 in 4..252")
    for i, acc in enumerate(arrays["accessors"]):
        data.accessors.append(_accessor(data, acc, f"accessors[{i}]"))
    return data


def _view_extent(data: Data, view_index: int, offset: int, count: int, size: int, stride: int | None,
                 where: str) -> tuple[bytes, int, int]:
    view = data.arrays["bufferViews"][view_index]
    view_length = int(view["byteLength"])
    step = int(view.get("byteStride", 0)) or stride or size
    needed = offset + step * (count - 1) + size
    if needed > view_length:
        raise Reject("accessor_out_of_bounds", f"{where} needs {needed:,} bytes of "
                                               f"bufferViews[{view_index}], which has {view_length:,}")
    start = int(view.get("byteOffset", 0)) + offset
    return data.buffers[int(view["buffer"])], start, step


def _accessor(data: Data, acc: dict[str, Any], where: str) -> Accessor:
    component_type = get_int(acc, "componentType", where)
    type_name = acc.get("type")
    if component_type not in COMPONENT_BYTES or type_name not in TYPE_COMPONENTS:
        raise Reject("invalid_gltf", f"{where} has an unknown componentType or type")
    components = TYPE_COMPONENTS[str(type_name)]
    count = get_int(acc, "count", where, minimum=1)
    size = element_size(component_type, components, str(type_name))
    result = Accessor(count=count, component_type=component_type, components=components, element_size=size)
    for key in ("min", "max"):
        if key in acc:
            finite_numbers(acc[key], f"{where}.{key}", components)
    view_index = get_index(acc, "bufferView", where, len(data.arrays["bufferViews"]))
    if view_index is not None:
        offset = get_int(acc, "byteOffset", where, default=0)
        extent = _view_extent(data, view_index, offset, count, size, None, where)
        result.buffer, result.offset, result.stride = extent
    sparse = acc.get("sparse")
    if sparse is not None:
        _check_sparse(data, sparse, where, count, component_type, size)
    if component_type == 5126:
        values = result.array()
        if values is not None and not bool(np.isfinite(values).all()):
            raise Reject("nan_or_inf", f"{where} holds NaN or infinite floats")
    return result


def _check_sparse(data: Data, sparse: object, where: str, count: int, component_type: int, size: int) -> None:
    if not isinstance(sparse, dict) or not isinstance(sparse.get("indices"), dict) \
            or not isinstance(sparse.get("values"), dict):
        raise Reject("invalid_gltf", f"{where}.sparse is malformed")
    n = get_int(sparse, "count", f"{where}.sparse", minimum=1)
    if n > count:
        raise Reject("invalid_gltf", f"{where}.sparse.count exceeds the accessor count")
    views = len(data.arrays["bufferViews"])
    indices, values = sparse["indices"], sparse["values"]
    index_type = get_int(indices, "componentType", f"{where}.sparse.indices")
    if index_type not in (5121, 5123, 5125):
        raise Reject("invalid_gltf", f"{where}.sparse.indices.componentType is not unsigned")
    for part, element in ((indices, COMPONENT_BYTES[index_type]), (values, size)):
        label = f"{where}.sparse"
        view = get_index(part, "bufferView", label, views)
        if view is None:
            raise Reject("invalid_gltf", f"{label} needs a bufferView")
        _view_extent(data, view, get_int(part, "byteOffset", label, default=0), n, element, element, label)
