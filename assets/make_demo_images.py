"""Write the demo festival's product photos: ``assets/demo/images/<kit model>-<tint>.jpg``, 256×256 JPEG.

Run from the checkout: ``.venv/bin/python assets/make_demo_images.py [--out DIR]`` (default
``assets/demo/images``). One photo per look (kit model and tint, ``storefront_builder.catalog.sample.sample_look``)
that the demo catalogs (``demo/festival.yaml``, ``sample_catalog(..., variants=True)``) use, each drawn from the
kit model in its colour by the small software renderer below: an orthographic 3/4 view, a z-buffer, Lambert
shading on interpolated normals, a blurred contact shadow on a soft white backdrop, 2× supersampled.

The output is byte-identical on every run (``tests/storefront_builder/test_demo_images.py`` checks it): the
scene is fixed, angles are rounded constants, linear-to-sRGB goes through a table, and JPEG encoding is
deterministic for a given Pillow. Stale files of looks no catalog uses any more are removed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from storefront_builder.catalog.sample import sample_catalog, sample_image_name, sample_look  # noqa: E402
from storefront_builder.geometry.kit_models import KitModel, load_kit  # noqa: E402
from storefront_builder.geometry.mesh import MeshData  # noqa: E402

SIZE = 256
SS = 2  # supersampling factor
QUALITY = 86
# Camera (sin, cos of yaw round from the front, of pitch looking down), rounded so no libm difference reaches
# the bytes: 35° and 22°; shoes, which face +Z with their side, are shown nearly side-on like shoe photos.
CAMERA = (0.573576, 0.819152, 0.374607, 0.927184)
SIDE_CAMERA = (0.258819, 0.965926, 0.190809, 0.981627)  # 15°, 11°
SIDE_ON = ("sneaker", "shoe", "boot")
LIGHT = np.array([-0.45, 0.75, 0.48])  # towards the key light (view space: x right, y up, z to the viewer)
AMBIENT, DIFFUSE = 0.34, 0.72
BACKGROUND = (246, 245, 242)
FILL = 0.74  # share of the frame the model's projected bounds take


def _srgb_table() -> np.ndarray:
    x = np.arange(4096) / 4095
    s = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return np.round(np.clip(s, 0, 1) * 255).astype(np.uint8)


SRGB = _srgb_table()


def _view(points: np.ndarray, camera: tuple[float, float, float, float]) -> np.ndarray:
    """Model space to view space (x right, y up, z towards the camera)."""
    yaw_sin, yaw_cos, pitch_sin, pitch_cos = camera
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    x1 = x * yaw_cos + z * yaw_sin
    z1 = -x * yaw_sin + z * yaw_cos
    y2 = y * pitch_cos - z1 * pitch_sin
    z2 = y * pitch_sin + z1 * pitch_cos
    return np.stack([x1, y2, z2], axis=1)


def _triangles(model: KitModel, tint: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions T×3×3, normals T×3×3, linear colours T×3) of the body in ``tint`` and the trim in its own."""
    parts: list[tuple[MeshData, np.ndarray | None]] = [(model.body, None)]
    if model.trim is not None:
        parts.append((model.trim, model.trim.colors))
    pos, nor, col = [], [], []
    for mesh, colors in parts:
        idx = mesh.indices.astype(np.int64)
        pos.append(mesh.positions[idx].astype(np.float64))
        nor.append(mesh.normals[idx].astype(np.float64))
        if colors is None:
            col.append(np.tile(np.array(tint, np.float64) / 255, (len(idx), 1)))
        else:
            col.append(colors[idx][:, :, :3].astype(np.float64).mean(axis=1) / 255)
    return np.concatenate(pos), np.concatenate(nor), np.concatenate(col)


def render(model: KitModel, tint: tuple[int, int, int]) -> Image.Image:
    """The model in ``tint`` (linear 8-bit RGB) as a SIZE×SIZE product photo."""
    n = SIZE * SS
    pos, nor, col = _triangles(model, tint)
    camera = SIDE_CAMERA if model.name in SIDE_ON else CAMERA
    view = _view(pos.reshape(-1, 3), camera).reshape(-1, 3, 3)
    normals = _view(nor.reshape(-1, 3), camera).reshape(-1, 3, 3)
    lo, hi = view.reshape(-1, 3).min(0), view.reshape(-1, 3).max(0)
    scale = FILL * n / float(max(hi[0] - lo[0], hi[1] - lo[1]))
    centre = (lo[:2] + hi[:2]) / 2
    offset = np.array([n / 2, n * 0.53])  # a little low: room above for the eye, the shadow below

    def screen(v: np.ndarray) -> np.ndarray:
        return np.stack([(v[..., 0] - centre[0]) * scale + offset[0],
                         (centre[1] - v[..., 1]) * scale + offset[1]], axis=-1)

    backdrop = np.empty((n, n, 3))  # sRGB 0..1
    backdrop[:] = np.array(BACKGROUND, np.float64) / 255
    backdrop *= (1.0 - 0.05 * (np.arange(n) / n))[:, None, None]  # it darkens slightly downwards
    # Contact shadow: the model's footprint (all points dropped to the floor), blurred.
    floor = pos.reshape(-1, 3).copy()
    floor[:, 1] = 0.0
    footprint = screen(_view(floor, camera)).reshape(-1, 3, 2)
    mask = Image.new("L", (n, n), 0)
    draw = ImageDraw.Draw(mask)
    for tri in np.round(footprint, 1):
        draw.polygon([tuple(p) for p in tri.tolist()], fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(radius=n / 40))
    backdrop *= 1.0 - 0.32 * (np.asarray(mask, np.float64) / 255)[:, :, None]
    # Z-buffered triangles with per-pixel interpolated normals, shaded in linear light.
    image = np.zeros((n, n, 3))
    xy = screen(view)
    depth = np.full((n, n), -np.inf)
    light = LIGHT / np.linalg.norm(LIGHT)
    for t in range(len(xy)):
        (x0, y0), (x1, y1), (x2, y2) = xy[t]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if abs(area) < 1e-9:
            continue
        xa, xb = max(int(np.floor(min(x0, x1, x2))), 0), min(int(np.ceil(max(x0, x1, x2))), n - 1)
        ya, yb = max(int(np.floor(min(y0, y1, y2))), 0), min(int(np.ceil(max(y0, y1, y2))), n - 1)
        if xa > xb or ya > yb:
            continue
        px, py = np.meshgrid(np.arange(xa, xb + 1) + 0.5, np.arange(ya, yb + 1) + 0.5)
        w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) / area
        w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) / area
        w2 = 1.0 - w0 - w1
        inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        if not inside.any():
            continue
        z = w0 * view[t, 0, 2] + w1 * view[t, 1, 2] + w2 * view[t, 2, 2]
        region = depth[ya:yb + 1, xa:xb + 1]
        win = inside & (z > region)
        if not win.any():
            continue
        region[win] = z[win]
        nrm = (w0[win, None] * normals[t, 0] + w1[win, None] * normals[t, 1] + w2[win, None] * normals[t, 2])
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        facing = nrm[:, 2] < 0  # a back face seen through a gap: light it as if it faced us
        nrm[facing] *= -1
        shade = AMBIENT + DIFFUSE * np.clip(nrm @ light, 0, 1) + 0.08 * nrm[:, 1].clip(0, 1)
        image[ya:yb + 1, xa:xb + 1][win] = np.clip(col[t] * shade[:, None], 0, 1)
    # Downsample: the model's mean linear colour over its covered subpixels, in sRGB, over the backdrop.
    covered = np.isfinite(depth).reshape(SIZE, SS, SIZE, SS).mean(axis=(1, 3))[:, :, None]
    model_sum = image.reshape(SIZE, SS, SIZE, SS, 3).mean(axis=(1, 3))
    linear = np.where(covered > 0, model_sum / np.maximum(covered, 1e-9), 0.0)
    model_srgb = SRGB[np.round(np.clip(linear, 0, 1) * 4095).astype(np.int64)].astype(np.float64)
    back = backdrop.reshape(SIZE, SS, SIZE, SS, 3).mean(axis=(1, 3)) * 255
    out = model_srgb * covered + back * (1 - covered)
    return Image.fromarray(np.round(out).astype(np.uint8), "RGB")


def demo_looks() -> dict[str, tuple[str, tuple[int, int, int]]]:
    """File name → (kit model, linear tint) for every product of the demo festival's catalogs."""
    doc = yaml.safe_load((HERE / "demo" / "festival.yaml").read_text(encoding="utf-8"))
    looks = {}
    for store in doc["stores"]:
        for product in sample_catalog(store["kind"], store["products"], prefix=store["sku_prefix"], variants=True):
            looks[sample_image_name(product)] = sample_look(product)
    return dict(sorted(looks.items()))


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    kit = load_kit()
    written = []
    looks = demo_looks()
    for name, (model, tint) in looks.items():
        path = out / name
        render(kit[model], tint).save(path, "JPEG", quality=QUALITY, optimize=True)
        written.append(path)
    for stale in out.glob("*.jpg"):
        if stale.name not in looks:
            stale.unlink()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "demo" / "images")
    args = parser.parse_args()
    paths = write(args.out)
    print(f"{len(paths)} images, {sum(p.stat().st_size for p in paths):,} bytes in {args.out}")


if __name__ == "__main__":
    main()
