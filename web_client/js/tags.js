// Live price tags at the `tag:{sku}` nodes (shelf edge, front of each slot). Prices come from the API and
// live updates, never from the GLB. Only the tags nearest the viewer are shown (one label layer, one draw
// call); the set is re-chosen a few times a second as the shopper walks.
import * as THREE from 'three';
import { LabelLayer } from './labels.js';
import { money } from '../shared/format.js';
import { t } from '../shared/i18n.js';

const MAX_TAGS = 48;
const MAX_DISTANCE = 7;

export class PriceTags {
  constructor(world) {
    this.layer = new LabelLayer({ cells: MAX_TAGS, cols: 4, cellW: 256, cellH: 64, billboard: false });
    world.add(this.layer.mesh);
    this.scene = null;
    this.state = null;
    this.anchors = []; // {sku, position, quaternion, width, height}
    this.nextPick = 0;
    this.version = 0; // bumps when any text may have changed
    this._cam = new THREE.Vector3();
  }

  setScene(scene, state) {
    this.scene = scene;
    this.state = state;
    this.anchors = [];
    for (const p of scene.products.values()) {
      const node = p.tag ?? p.node;
      const position = new THREE.Vector3(), quaternion = new THREE.Quaternion();
      node.matrixWorld.decompose(position, quaternion, new THREE.Vector3());
      const width = THREE.MathUtils.clamp(p.size[0], 0.1, 0.2);
      const height = width / 4;
      // Hang the tag just below the product's base, a hair in front of the shelf edge.
      position.add(new THREE.Vector3(0, -height / 2 - 0.005, 0.004).applyQuaternion(quaternion));
      if (position.y < height / 2 + 0.02) position.y = height / 2 + 0.02;
      this.anchors.push({ sku: p.sku, position, quaternion, width, height });
    }
    this.layer.set([]);
    this.nextPick = 0;
  }

  invalidate() { this.nextPick = 0; this.version++; }

  update(camera) {
    if (!this.scene) return;
    const now = performance.now();
    if (now >= this.nextPick) {
      this.nextPick = now + 300;
      camera.getWorldPosition(this._cam);
      const near = [];
      for (const a of this.anchors) {
        const d = a.position.distanceToSquared(this._cam);
        if (d < MAX_DISTANCE * MAX_DISTANCE || a.sku === this.state.selected) near.push([d, a]);
      }
      near.sort((x, y) => x[0] - y[0]);
      const items = [];
      for (const [, a] of near.slice(0, MAX_TAGS)) {
        const p = this.state.products.get(a.sku);
        if (!p) continue;
        const looking = this.state.focus.get(a.sku) ?? 0;
        items.push({ key: a.sku, position: a.position, quaternion: a.quaternion, width: a.width, height: a.height,
          signature: `${p.unit_price}|${p.price}|${p.stock}|${looking}|${p.currency}|${document.documentElement.lang}`,
          draw: (ctx, w, h) => drawTag(ctx, w, h, p, looking) });
      }
      this.layer.set(items);
      this.layer.update(camera);
    }
  }
}

function drawTag(ctx, w, h, p, looking) {
  const sale = p.unit_price < p.price;
  const soldOut = p.stock <= 0;
  ctx.fillStyle = soldOut ? '#5a5a5a' : sale ? '#ffe14d' : '#ffffff';
  ctx.beginPath(); ctx.roundRect(2, 2, w - 4, h - 4, 8); ctx.fill();
  ctx.strokeStyle = sale ? '#d62828' : '#333'; ctx.lineWidth = 3; ctx.stroke();
  ctx.textBaseline = 'middle';
  ctx.fillStyle = soldOut ? '#fff' : sale ? '#c1121f' : '#111';
  ctx.font = '800 34px system-ui, "NanumGothic", sans-serif';
  const text = soldOut ? t('product.soldout') : money(p.unit_price, p.currency);
  ctx.fillText(text, 12, h / 2 + 2, looking ? w - 84 : w - 20);
  if (looking) {
    ctx.fillStyle = '#1d4ed8'; ctx.beginPath(); ctx.roundRect(w - 74, 10, 64, h - 20, 10); ctx.fill();
    ctx.fillStyle = '#fff'; ctx.font = '700 26px system-ui, sans-serif';
    ctx.fillText(`👀${looking}`, w - 70, h / 2 + 2, 58);
  }
}
