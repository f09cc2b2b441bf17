// The floor plan, drawn top-down on a 2D canvas from the scene manifest (/scenes/{hash}.json):
// walkable rectangles, zones, product positions, spawn points and portals. No endpoint beyond the manifest.

const COLOURS = {
  floor: '#f6f3ec', wall: '#5c5750', walkable: 'rgba(64, 192, 87, 0.18)', zone: 'rgba(214, 51, 108, 0.10)',
  zoneLine: 'rgba(214, 51, 108, 0.45)', product: '#1c7ed6', spawn: '#e67700', portal: '#7048e8', text: '#343a40',
};

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

/** Draw `manifest` into `canvas`; returns the number of products drawn. */
export function drawPlan(canvas, manifest) {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const cssW = canvas.clientWidth || 480;
  const cssH = canvas.clientHeight || 360;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  if (!manifest) {
    canvas.dataset.state = 'empty';
    return 0;
  }
  const [minX, , minZ] = manifest.bounds.min;
  const [maxX, , maxZ] = manifest.bounds.max;
  const margin = 18;
  const scale = Math.min((cssW - 2 * margin) / (maxX - minX), (cssH - 2 * margin) / (maxZ - minZ));
  const ox = (cssW - (maxX - minX) * scale) / 2;
  const oz = (cssH - (maxZ - minZ) * scale) / 2;
  const px = (x, z) => [ox + (x - minX) * scale, oz + (z - minZ) * scale];
  const rect = ([x0, z0, x1, z1], fill, stroke) => {
    const [a, b] = px(x0, z0);
    const [c, d] = px(x1, z1);
    if (fill) { g.fillStyle = fill; g.fillRect(a, b, c - a, d - b); }
    if (stroke) { g.strokeStyle = stroke; g.strokeRect(a, b, c - a, d - b); }
  };

  rect([minX, minZ, maxX, maxZ], COLOURS.floor, null);
  for (const r of manifest.walkable || []) rect(r, COLOURS.walkable, null);
  g.lineWidth = 1;
  g.font = '11px system-ui, sans-serif';
  for (const zone of manifest.zones || []) {
    rect(zone.bounds, `hsla(${hue(zone.name)}, 70%, 55%, 0.16)`, COLOURS.zoneLine);
    const [a, b] = px(zone.bounds[0], zone.bounds[1]);
    g.fillStyle = COLOURS.text;
    g.fillText(zone.name, a + 3, b + 12);
  }
  g.lineWidth = 3;
  rect([minX, minZ, maxX, maxZ], null, COLOURS.wall);

  const products = Object.values(manifest.products || {});
  const radius = Math.max(1.5, Math.min(4, scale * 0.06));
  for (const p of products) {
    const [x, z] = px(p.position[0], p.position[2]);
    g.fillStyle = COLOURS.product;
    g.beginPath();
    g.arc(x, z, radius, 0, Math.PI * 2);
    g.fill();
  }
  for (const s of manifest.spawn_points || []) {
    const [x, z] = px(s.position[0], s.position[2]);
    g.fillStyle = COLOURS.spawn;
    g.beginPath();
    g.moveTo(x, z - 7); g.lineTo(x - 6, z + 5); g.lineTo(x + 6, z + 5); g.closePath();
    g.fill();
  }
  for (const portal of manifest.portals || []) {
    const [x, z] = px(portal.position[0], portal.position[2]);
    g.fillStyle = COLOURS.portal;
    g.beginPath();
    g.moveTo(x, z - 7); g.lineTo(x + 7, z); g.lineTo(x, z + 7); g.lineTo(x - 7, z); g.closePath();
    g.fill();
    if (portal.label) {
      g.fillStyle = COLOURS.text;
      g.fillText(typeof portal.label === 'string' ? portal.label : (portal.label.ko || portal.label.en || ''), x + 9, z + 4);
    }
  }
  // A 1 m scale bar bottom-left.
  g.fillStyle = COLOURS.text;
  g.fillRect(margin, cssH - 8, scale, 3);
  g.fillText('1 m', margin + scale + 4, cssH - 4);
  canvas.dataset.state = 'ready';
  canvas.dataset.products = String(products.length);
  return products.length;
}
