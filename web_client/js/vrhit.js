// Hit-testing the in-world panels (the product panel and the wrist menu): each is one canvas texture on a
// plane, its buttons rectangles in canvas pixels.

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
