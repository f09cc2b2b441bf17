// The product panel inside VR: a canvas drawn like the DOM panel, on a plane in front of the shopper.
// Controller rays hit it like any mesh; the hit's uv says which button was pressed.
import * as THREE from 'three';
import { money } from '../shared/format.js';
import { pick, t } from '../shared/i18n.js';

const W = 512, H = 640;
const BUTTONS = {
  minus: [32, 470, 80, 64], plus: [200, 470, 80, 64], add: [296, 470, 184, 64], close: [416, 24, 72, 56],
};

export class VRPanel {
  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.width = W; this.canvas.height = H;
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.mesh = new THREE.Mesh(new THREE.PlaneGeometry(0.48, 0.6),
      new THREE.MeshBasicMaterial({ map: this.texture, transparent: true, toneMapped: false }));
    this.mesh.visible = false;
    this.mesh.renderOrder = 20;
    this.product = null;
    this.qty = 1;
    this.note = '';
    this._raycaster = new THREE.Raycaster();
  }

  /** Open for a product, 0.9 m in front of the head, facing it. */
  open(product, camera) {
    this.product = product; this.qty = 1; this.note = '';
    const head = new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld);
    const dir = new THREE.Vector3(0, 0, -1).transformDirection(camera.matrixWorld).setY(0).normalize();
    this.mesh.position.copy(head).addScaledVector(dir, 0.9).setY(head.y - 0.1);
    this.mesh.lookAt(head.x, head.y - 0.1, head.z);
    this.mesh.visible = true;
    this.draw();
  }

  close() { this.mesh.visible = false; this.product = null; }

  update(product) { if (this.product && product.sku === this.product.sku) { this.product = product; this.draw(); } }

  draw(saleLine = '') {
    const p = this.product;
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = 'rgba(18, 20, 30, 0.94)';
    ctx.beginPath(); ctx.roundRect(0, 0, W, H, 28); ctx.fill();
    if (!p) return;
    const font = (px, weight = 500) => `${weight} ${px}px system-ui, "Noto Sans CJK KR", "NanumGothic", sans-serif`;
    ctx.fillStyle = '#fff'; ctx.font = font(34, 700); ctx.textBaseline = 'top';
    wrap(ctx, pick(p.name), 32, 36, 380, 40);
    ctx.font = font(22); ctx.fillStyle = '#aab';
    ctx.fillText(p.category || '', 32, 130, 440);
    const sale = p.unit_price < p.price;
    ctx.font = font(48, 800); ctx.fillStyle = sale ? '#ff6b6b' : '#fff';
    ctx.fillText(money(p.unit_price, p.currency), 32, 180);
    if (sale) {
      ctx.font = font(26); ctx.fillStyle = '#99a';
      const regular = money(p.price, p.currency);
      ctx.fillText(regular, 32, 240);
      const w = ctx.measureText(regular).width;
      ctx.fillRect(32, 254, w, 2);
    }
    ctx.font = font(24); ctx.fillStyle = '#ffd54a';
    ctx.fillText(saleLine, 32, 290, 440);
    ctx.font = font(30, 700); ctx.fillStyle = p.stock > 0 ? '#8fe388' : '#ff6b6b';
    ctx.fillText(p.stock > 0 ? t('product.left', { n: p.stock }) : t('product.soldout'), 32, 340);
    ctx.font = font(24); ctx.fillStyle = '#dde';
    ctx.fillText(this.note, 32, 410, 440);
    const button = ([x, y, w, h], label, on = true) => {
      ctx.fillStyle = on ? '#3a7bd5' : '#555'; ctx.beginPath(); ctx.roundRect(x, y, w, h, 14); ctx.fill();
      ctx.fillStyle = '#fff'; ctx.font = font(28, 700); ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
      ctx.fillText(label, x + w / 2, y + h / 2, w - 8); ctx.textAlign = 'left'; ctx.textBaseline = 'top';
    };
    button(BUTTONS.minus, '−'); button(BUTTONS.plus, '+');
    ctx.fillStyle = '#fff'; ctx.font = font(34, 700); ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(String(this.qty), 156, 502); ctx.textAlign = 'left'; ctx.textBaseline = 'top';
    button(BUTTONS.add, t('product.add'), p.stock > 0);
    button(BUTTONS.close, '✕');
    this.texture.needsUpdate = true;
  }

  /** The world position of a button's centre (tests aim controllers with it). */
  buttonWorld(name) {
    const [x, y, w, h] = BUTTONS[name];
    const local = new THREE.Vector3(((x + w / 2) / W - 0.5) * 0.48, (0.5 - (y + h / 2) / H) * 0.6, 0);
    this.mesh.updateMatrixWorld();
    return this.mesh.localToWorld(local);
  }

  /** Which button a world ray presses (or 'panel' for the panel body, null when it misses). */
  hit(ray) {
    if (!this.mesh.visible) return null;
    this._raycaster.ray.copy(ray);
    const [hit] = this._raycaster.intersectObject(this.mesh, false);
    if (!hit) return null;
    const x = hit.uv.x * W, y = (1 - hit.uv.y) * H;
    for (const [name, [bx, by, bw, bh]] of Object.entries(BUTTONS)) {
      if (x >= bx && x <= bx + bw && y >= by && y <= by + bh) return name;
    }
    return 'panel';
  }
}

function wrap(ctx, text, x, y, width, line) {
  let row = '';
  for (const ch of text) {
    if (ctx.measureText(row + ch).width > width) { ctx.fillText(row, x, y); row = ch; y += line; } else row += ch;
  }
  ctx.fillText(row, x, y);
}
