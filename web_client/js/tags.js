// Live price tags at the products' tag anchors (shelf edge, front of each slot): the product's name, shortened
// with an ellipsis to fit, and its price (a sale shows the regular price struck through above the sale price;
// a product whose variants differ in price shows the lowest, "from"). Prices come from the API and live
// updates, never from the GLB. Only the tags nearest the viewer are shown (one label layer, one draw call);
// the set is re-chosen a few times a second as the shopper walks.
//
// Legibility: at 2 m on a 1280×800 screen (70° field of view) a metre is ~290 px, so two readable lines (a
// 10 px name over a 13 px price) need a 10 cm tall label, and a name needs ~16 cm of width. Slots that wide get
// the full label (a sale: three rows, 13 cm); narrower slots (cans, bottles) get a price-only label of their
// width, and the one the shopper selects, points at or looks straight at grows to the full label in front of
// its neighbours.
import * as THREE from 'three';
import { LabelLayer } from './labels.js';
import { money } from '../shared/format.js';
import { pick, t } from '../shared/i18n.js';
import { summary } from './variants.js';

const MAX_TAGS = 48;
const MAX_DISTANCE = 7;
const FULL_H = 0.1, SALE_H = 0.13, COMPACT_H = 0.05; // metres: two rows, three rows (a sale), price only
const FULL_MIN_W = 0.16, MAX_W = 0.3, GROWN_W = 0.2;
const GAZE_DISTANCE = 3, GAZE_COS = Math.cos(THREE.MathUtils.degToRad(8));
// setScene hangs each anchor's label (a.width × a.height) just under the product's base, a few mm in front of
// the tag node: behind the front edge of the shelf board (boards reach 1 cm past the tag node), whose lip
// would hide the label's top. The labels drawn here sit 1.2 cm further forward, their top edge 1 cm higher
// (5 mm above the base), clear of the board; a grown label another 4 mm forward, over its neighbours.
const LIFT = 0.01, FORWARD = 0.012, GROWN_FORWARD = 0.004;

export class PriceTags {
  constructor(world, { anisotropy = 8 } = {}) {
    this.layer = new LabelLayer({ cells: MAX_TAGS, cols: 4, cellW: 384, cellH: 128, billboard: false, padding: 6,
      anisotropy });
    world.add(this.layer.mesh);
    this.scene = null;
    this.state = null;
    this.anchors = []; // {sku, position, quaternion, width, height}
    this.nextPick = 0;
    this.version = 0; // bumps when any text may have changed
    this._cam = new THREE.Vector3();
    this._fwd = new THREE.Vector3();
    this._to = new THREE.Vector3();
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

  /** The labels on show: [{key: sku, text: [name?, price, regular?, looking?]}] (the test hook reads them). */
  labels() { return this.layer.labels(); }

  update(camera) {
    if (!this.scene) return;
    const now = performance.now();
    if (now < this.nextPick) return;
    this.nextPick = now + 300;
    camera.getWorldPosition(this._cam);
    camera.getWorldDirection(this._fwd);
    const near = [];
    for (const a of this.anchors) {
      const d = a.position.distanceToSquared(this._cam);
      if (d < MAX_DISTANCE * MAX_DISTANCE || a.sku === this.state.selected) near.push([d, a]);
    }
    near.sort((x, y) => x[0] - y[0]);
    const shown = near.slice(0, MAX_TAGS);
    const grown = this.state.selected ?? this.state.hovered ?? this.gazed(shown);
    const items = [];
    for (const [, a] of shown) {
      const variants = this.state.variants?.(a.sku) ?? [this.state.products.get(a.sku)].filter(Boolean);
      if (!variants.length) continue;
      const looking = this.state.focus.get(a.sku) ?? 0;
      const slot = this.slotWidth(a);
      const full = slot >= FULL_MIN_W || a.sku === grown;
      const view = tagView(this.state.products.get(a.sku) ?? variants[0], variants, looking, full);
      const box = this.place(a, slot, a.sku === grown, view);
      items.push({ key: a.sku, position: box.position, quaternion: a.quaternion, width: box.width, height: box.height,
        aspect: box.width / box.height, signature: `${JSON.stringify(view)}|${box.width}|${document.documentElement.lang}`,
        draw: (ctx, w, h) => drawTag(ctx, w, h, view) });
    }
    this.layer.set(items);
    this.layer.update(camera);
  }

  /** The narrow-slot anchor the camera looks straight at (within 8°, 3 m), if any. */
  gazed(shown) {
    let best = null, bestCos = GAZE_COS;
    for (const [d, a] of shown) {
      if (d > GAZE_DISTANCE * GAZE_DISTANCE) break;
      const cos = this._to.copy(a.position).sub(this._cam).normalize().dot(this._fwd);
      if (cos > bestCos) { bestCos = cos; best = a.sku; }
    }
    return best;
  }

  /** The width a label may take under a product: its slot's (the product's width and half the gap each side). */
  slotWidth(a) { return (this.scene.products.get(a.sku)?.size?.[0] ?? a.width) + 0.01; }

  /** Where and how big a label is drawn for an anchor (see LIFT/FORWARD above). */
  place(a, slot, grown, view) {
    const roomy = slot >= FULL_MIN_W;
    const width = roomy ? Math.min(slot, MAX_W) : grown ? GROWN_W : Math.max(slot, 0.06);
    const height = view.name === null ? COMPACT_H : view.both ? SALE_H : FULL_H;
    const offset = new THREE.Vector3(0, a.height / 2 + LIFT - height / 2, FORWARD + (grown && !roomy ? GROWN_FORWARD : 0));
    const position = offset.applyQuaternion(a.quaternion).add(a.position);
    position.y = Math.max(position.y, height / 2 + 0.01);
    return { position, width, height };
  }
}

/** What a tag says, as plain data (its JSON is the label's signature: redrawn only when this changes). */
function tagView(p, variants, looking, full) {
  const { cheapest, from, stock } = summary(variants);
  const regular = cheapest.unit_price < cheapest.price ? money(cheapest.price, cheapest.currency) : null;
  return { name: full ? pick(p.name) : null, price: money(cheapest.unit_price, cheapest.currency), from, regular,
    soldOut: stock <= 0, both: full && regular !== null && stock > 0, looking };
}

/** The longest start of `text` that fits `max` pixels, with … when cut. */
function fit(ctx, text, max) {
  if (ctx.measureText(text).width <= max) return text;
  const chars = [...text];
  let lo = 0, hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${chars.slice(0, mid).join('')}…`).width <= max) lo = mid; else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('').trimEnd()}…`;
}

const FONT = 'system-ui, "Noto Sans CJK KR", "NanumGothic", sans-serif';

/** The largest font size ≤ `preferred` px at which `text` fits `width` px (prices are never cut, only shrunk). */
function fitFont(ctx, text, width, preferred, weight) {
  ctx.font = `${weight} ${preferred}px ${FONT}`;
  const size = Math.min(preferred, Math.floor((preferred * width) / Math.max(1, ctx.measureText(text).width)));
  ctx.font = `${weight} ${size}px ${FONT}`;
  return size;
}

/** Paint a tag into its w × h cell; returns the strings written: [name?, price, regular?, looking?].
 * Rows: the name (the "looking" badge at its right), then the price. A sale (`both`) has three rows: the name,
 * the regular price struck through, the sale price. A compact tag (no name) is the price alone. */
function drawTag(ctx, w, h, view) {
  const sale = view.regular !== null;
  ctx.fillStyle = view.soldOut ? '#5a5a5a' : sale ? '#ffe14d' : '#ffffff';
  const r = Math.round(h * 0.12), line = Math.max(2, Math.round(h * 0.035));
  ctx.beginPath(); ctx.roundRect(line / 2, line / 2, w - line, h - line, r); ctx.fill();
  ctx.strokeStyle = sale ? '#d62828' : '#333'; ctx.lineWidth = line; ctx.stroke();
  ctx.textBaseline = 'middle';
  const u = view.both ? h / 1.3 : h; // a sale tag is 1.3 rows taller: fonts keep the two-row tag's sizes
  const pad = Math.round(u * 0.07);
  const full = view.name !== null;
  const topY = full ? u * 0.29 : h / 2;
  const priceY = full ? h - u * 0.28 : h / 2;
  let right = w - pad;
  let badge = null;
  if (view.looking) {
    ctx.font = `700 ${Math.round(u * 0.24)}px ${FONT}`;
    badge = `👀${view.looking}`;
    const bw = ctx.measureText(badge).width + u * 0.12;
    right -= bw;
    ctx.fillStyle = '#1d4ed8'; ctx.beginPath(); ctx.roundRect(right, topY - u * 0.16, bw, u * 0.32, u * 0.08); ctx.fill();
    ctx.fillStyle = '#fff'; ctx.fillText(badge, right + u * 0.06, topY);
    right -= pad / 2;
  }
  let name = null;
  if (full) {
    ctx.fillStyle = view.soldOut ? '#fff' : '#111';
    ctx.font = `600 ${Math.round(u * 0.36)}px ${FONT}`;
    name = fit(ctx, view.name, right - pad);
    ctx.fillText(name, pad, topY);
  }
  let regular = null;
  if (view.both) {
    regular = view.regular;
    fitFont(ctx, regular, w - 2 * pad, Math.round(u * 0.28), 500);
    const y = (topY + priceY) / 2 + u * 0.02;
    ctx.fillStyle = '#555';
    ctx.fillText(regular, pad, y);
    ctx.fillRect(pad, y - line / 2, ctx.measureText(regular).width, line); // struck through
  }
  const priceText = view.soldOut ? t('product.soldout') : view.from ? t('tag.from', { p: view.price }) : view.price;
  fitFont(ctx, priceText, (full ? w - pad : right) - pad, Math.round(u * (full ? 0.44 : 0.55)), 800);
  ctx.fillStyle = view.soldOut ? '#fff' : sale ? '#c1121f' : '#111';
  ctx.fillText(priceText, pad, priceY);
  return [name, priceText, regular, badge].filter((text) => text !== null);
}
