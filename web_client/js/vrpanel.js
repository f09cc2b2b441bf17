// The product panel inside VR: a canvas drawn like the DOM panel (picture, name, prices, option chips, stock,
// "N looking", quantity, add to cart) on a plane at arm's length, with the product's 3D copy turning beside it.
// Controller rays hit the plane like any mesh; the hit's uv says which button was pressed. Buttons are laid out
// as the panel is drawn (option chips depend on the product), in canvas pixels.
import * as THREE from 'three';
import { money } from '../shared/format.js';
import { pick, t } from '../shared/i18n.js';
import { disposeModel } from './closeup.js';
import { VariantChoice } from './variants.js';
import { canvasPanel, pressedButton } from './vrhit.js';

const W = 512, H = 832;
const PLANE_W = 0.48, PLANE_H = PLANE_W * (H / W);
const MODEL_SIZE = 0.22; // metres: the turning copy's largest side
const font = (px, weight = 500) => `${weight} ${px}px system-ui, "Noto Sans CJK KR", "NanumGothic", sans-serif`;

export class VRPanel {
  constructor() {
    Object.assign(this, canvasPanel(W, H, PLANE_W, PLANE_H));
    this.mesh.visible = false;
    this.mesh.renderOrder = 20;
    this.turntable = new THREE.Group(); // the product copy, beside the panel on the right
    this.turntable.position.set(PLANE_W / 2 + 0.15, -0.1, 0.06);
    this.mesh.add(this.turntable);
    this.choice = null;
    this.looking = 0;
    this.qty = 1;
    this.note = '';
    this.saleText = '';
    this.buttons = {};
    this.pictures = new Map(); // url → HTMLImageElement (loaded or not)
    this._raycaster = new THREE.Raycaster();
  }

  get product() { return this.choice?.product ?? null; }

  /** Open for a product, 0.85 m in front of the head, facing it. */
  open(product, camera, { variants = [product], model = null, looking = 0 } = {}) {
    this.choice = new VariantChoice(variants, product.sku);
    this.qty = 1; this.note = ''; this.looking = looking;
    this.showModel(model);
    const head = new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld);
    const dir = new THREE.Vector3(0, 0, -1).transformDirection(camera.matrixWorld).setY(0).normalize();
    this.mesh.position.copy(head).addScaledVector(dir, 0.85).setY(head.y - 0.15);
    this.mesh.lookAt(head.x, head.y - 0.15, head.z);
    this.mesh.visible = true;
    this.draw();
  }

  close() {
    this.mesh.visible = false;
    this.choice = null;
    this.showModel(null);
  }

  showModel(model) {
    for (const child of [...this.turntable.children]) disposeModel(child);
    if (!model) return;
    const size = model.userData.size ?? new THREE.Box3().setFromObject(model).getSize(new THREE.Vector3());
    model.scale.setScalar(MODEL_SIZE / Math.max(size.x, size.y, size.z, 0.01));
    this.turntable.add(model);
  }

  /** Per frame: the copy turns slowly. */
  tick(dt) { if (this.mesh.visible) this.turntable.rotation.y += dt * 0.6; }

  update(product, variants) {
    if (!this.choice || !this.choice.variants.some((v) => v.sku === product.sku)) return;
    if (variants) this.choice.refresh(variants);
    this.draw();
  }

  /** A button pressed: quantity and options are handled here; returns 'add', 'close' or 'option' (another
   * variant chosen, for analytics) for the page to do. */
  press(name) {
    const p = this.product;
    if (!p) return null;
    if (name === 'minus') this.qty = Math.max(1, this.qty - 1);
    if (name === 'plus') this.qty = Math.min(99, Math.max(1, p.stock), this.qty + 1);
    if (name.startsWith('opt:')) {
      const [, axis, value] = name.split(':');
      const k = Number(axis);
      this.choice.choose(k, this.choice.axes[k].values[Number(value)]);
      this.qty = Math.min(this.qty, Math.max(1, this.product.stock));
      this.note = '';
      return 'option';
    }
    if (name === 'add') return this.product.stock > 0 ? 'add' : null;
    return name === 'close' ? 'close' : null;
  }

  draw(saleLine) {
    if (saleLine !== undefined) this.saleText = saleLine;
    const p = this.product;
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = 'rgba(18, 20, 30, 0.94)';
    ctx.beginPath(); ctx.roundRect(0, 0, W, H, 28); ctx.fill();
    this.buttons = {};
    if (!p) return;
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#fff'; ctx.font = font(30, 700);
    wrap(ctx, pick(p.name), 24, 24, 390, 36, 2);
    const picture = this.picture(p.images?.[0] ?? this.choice.variants.find((v) => v.images?.length)?.images[0]);
    let x = 24;
    if (picture) {
      ctx.fillStyle = '#fff'; ctx.beginPath(); ctx.roundRect(24, 100, 150, 150, 12); ctx.fill();
      const s = Math.min(142 / picture.naturalWidth, 142 / picture.naturalHeight);
      const w = picture.naturalWidth * s, h = picture.naturalHeight * s;
      ctx.drawImage(picture, 24 + (150 - w) / 2, 100 + (150 - h) / 2, w, h);
      x = 192;
    }
    const sale = p.unit_price < p.price;
    ctx.font = font(44, 800); ctx.fillStyle = sale ? '#ff6b6b' : '#fff';
    ctx.fillText(money(p.unit_price, p.currency), x, 100, W - x - 24);
    if (sale) {
      ctx.font = font(24); ctx.fillStyle = '#99a';
      const regular = money(p.price, p.currency);
      ctx.fillText(regular, x, 152);
      ctx.fillRect(x, 165, ctx.measureText(regular).width, 2);
      ctx.fillStyle = '#ffb4b4';
      ctx.fillText(t('product.off', { n: Math.round((1 - p.unit_price / p.price) * 100) }),
        x + ctx.measureText(regular).width + 14, 152);
    }
    ctx.font = font(20); ctx.fillStyle = '#ffd54a';
    if (sale) ctx.fillText(this.saleText, x, 186, W - x - 24);
    if (p.festival_percent > 0) ctx.fillText(t('product.festival', { n: p.festival_percent }), x, 212, W - x - 24);
    ctx.font = font(26, 700); ctx.fillStyle = p.stock > 0 ? '#8fe388' : '#ff6b6b';
    ctx.fillText(p.stock > 0 ? t('product.left', { n: p.stock }) : t('product.soldout'), x, 240);
    ctx.font = font(20); ctx.fillStyle = '#7fb4ff';
    if (this.looking > 0) ctx.fillText(t('product.looking', { n: this.looking }), 24, 276);
    ctx.fillStyle = '#99a';
    ctx.fillText(t('product.sku', { sku: p.sku }), 24 + (this.looking > 0 ? 200 : 0), 276, 300);
    let y = this.drawOptions(ctx, 312);
    this.buttons.minus = [24, y, 72, 64];
    this.buttons.plus = [176, y, 72, 64];
    this.buttons.add = [264, y, 224, 64];
    this.buttons.close = [432, 18, 60, 60];
    this.button(ctx, 'minus', '−'); this.button(ctx, 'plus', '+');
    ctx.fillStyle = '#fff'; ctx.font = font(34, 700); ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(String(this.qty), 136, y + 32); ctx.textAlign = 'left'; ctx.textBaseline = 'top';
    this.button(ctx, 'add', t('product.add'), p.stock > 0);
    this.button(ctx, 'close', '✕');
    y += 84;
    ctx.font = font(22); ctx.fillStyle = '#dde';
    ctx.fillText(this.note, 24, y, W - 48);
    this.texture.needsUpdate = true;
  }

  /** Option chips, one row (or more) per axis; returns the y below them. */
  drawOptions(ctx, y) {
    const choice = this.choice;
    if (choice.variants.length < 2) return y;
    choice.axes.forEach((axis, k) => {
      ctx.font = font(20); ctx.fillStyle = '#aab'; ctx.textBaseline = 'top';
      ctx.fillText(axis.name || t('product.variant'), 24, y);
      y += 28;
      let x = 24;
      axis.values.forEach((value, i) => {
        const label = axis.name ? value : pick(choice.variants.find((v) => v.sku === value)?.name);
        ctx.font = font(22, 600);
        const w = Math.min(W - 48, Math.max(64, ctx.measureText(label).width + 32));
        if (x + w > W - 24) { x = 24; y += 64; }
        const name = `opt:${k}:${i}`;
        this.buttons[name] = [x, y, w, 56];
        const state = choice.state(k, value);
        const chosen = choice.selection[k] === value;
        ctx.fillStyle = chosen ? '#3a7bd5' : state === 'unavailable' ? '#2a2d36' : '#3a4254';
        ctx.beginPath(); ctx.roundRect(x, y, w, 56, 12); ctx.fill();
        ctx.fillStyle = state === 'ok' ? '#fff' : '#889';
        ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
        ctx.fillText(label, x + w / 2, y + 28, w - 12);
        if (state !== 'ok') ctx.fillRect(x + 10, y + 28, w - 20, 2); // sold out / unavailable: struck through
        ctx.textAlign = 'left'; ctx.textBaseline = 'top';
        x += w + 10;
      });
      y += 72;
    });
    return y;
  }

  button(ctx, name, label, on = true) {
    const [x, y, w, h] = this.buttons[name];
    ctx.fillStyle = on ? '#3a7bd5' : '#555'; ctx.beginPath(); ctx.roundRect(x, y, w, h, 14); ctx.fill();
    ctx.fillStyle = '#fff'; ctx.font = font(28, 700); ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(label, x + w / 2, y + h / 2, w - 8); ctx.textAlign = 'left'; ctx.textBaseline = 'top';
  }

  /** A loaded picture for the URL, or null (loading starts here; the panel is redrawn when it arrives). */
  picture(url) {
    if (!url) return null;
    let img = this.pictures.get(url);
    if (!img) {
      img = new Image();
      img.crossOrigin = 'anonymous'; // a picture without CORS must not taint the panel's texture
      img.addEventListener('load', () => { if (this.product) this.draw(); });
      img.src = url;
      this.pictures.set(url, img);
    }
    return img.complete && img.naturalWidth > 0 ? img : null;
  }

  /** The world position of a button's centre (tests aim controllers with it). */
  buttonWorld(name) {
    const rect = this.buttons[name];
    if (!rect) return null;
    const [x, y, w, h] = rect;
    const local = new THREE.Vector3(((x + w / 2) / W - 0.5) * PLANE_W, (0.5 - (y + h / 2) / H) * PLANE_H, 0);
    this.mesh.updateMatrixWorld();
    return this.mesh.localToWorld(local);
  }

  /** Which button a world ray presses (or 'panel' for the panel body, null when it misses). */
  hit(ray) {
    return pressedButton(this._raycaster, ray, this.mesh, this.buttons, W, H);
  }
}

/** Text wrapped to `width`, at most `lines` lines (the last one ends in … when cut). */
function wrap(ctx, text, x, y, width, line, lines) {
  const rows = [];
  let row = '';
  for (const ch of text) {
    if (ctx.measureText(row + ch).width > width) { rows.push(row); row = ch; } else row += ch;
  }
  rows.push(row);
  if (rows.length > lines) {
    let last = rows[lines - 1];
    while (last && ctx.measureText(`${last}…`).width > width) last = last.slice(0, -1);
    rows.splice(lines - 1, rows.length, `${last}…`);
  }
  rows.forEach((r, i) => ctx.fillText(r, x, y + i * line));
}
