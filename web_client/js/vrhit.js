// The in-world panels (the product panel and the wrist menu): each is one canvas texture on a plane, its
// buttons rectangles in canvas pixels. Making one, and hit-testing it with a controller ray.
import * as THREE from 'three';

/** A `width`×`height` px canvas drawn on a `planeW`×`planeH` m plane, unlit and legible (sRGB, anisotropic). */
export function canvasPanel(width, height, planeW, planeH) {
  const canvas = document.createElement('canvas');
  canvas.width = width; canvas.height = height;
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.anisotropy = 8;
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(planeW, planeH),
    new THREE.MeshBasicMaterial({ map: texture, transparent: true, toneMapped: false }));
  return { canvas, texture, mesh };
}

/**
 * Which button of a canvas panel a world ray presses: its name, 'panel' for the body, null on a miss or when
 * the mesh is hidden. `buttons` maps names to [x, y, width, height] in a `width`×`height` canvas.
 */
export function pressedButton(raycaster, ray, mesh, buttons, width, height) {
  if (!mesh.visible) return null;
  mesh.updateWorldMatrix(true, false);
  raycaster.ray.copy(ray);
  const [hit] = raycaster.intersectObject(mesh, false);
  if (!hit) return null;
  const x = hit.uv.x * width, y = (1 - hit.uv.y) * height;
  for (const [name, [bx, by, bw, bh]] of Object.entries(buttons)) {
    if (x >= bx && x <= bx + bw && y >= by && y <= by + bh) return name;
  }
  return 'panel';
}
