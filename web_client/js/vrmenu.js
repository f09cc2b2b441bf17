// The wrist menu in VR: a canvas panel docked above the left controller (or hand), shown while the palm is
// turned up or after X pins it. Tabs: the cart (lines with −/+, per-store subtotals with shipping, total,
// share code), checkout (saved address or a pickup slot, payment method, one large confirm button, the test
// provider's approve/decline step, the confirmation), chat presets and emotes, the shopping advisor (preset
// questions, the answer's cards: show, take me there; advisor.js); the header carries the sale
// countdown and the way back to the plaza. It is drawn like vrpanel.js: buttons are canvas rectangles laid out
// as the page is drawn, and a controller ray's uv on the plane says which one was pressed. Sizes are chosen for
// reading at arm's length and still at 1 m: body text is ~12 mm tall, headings more.
import * as THREE from 'three';
import { money, showTime } from '../shared/format.js';
import { pick, t } from '../shared/i18n.js';
import { problemText } from '../shared/problems.js';
import { saleLine } from './locale.js';
import { APPROVE, DECLINE, METHODS, pay, pickupContact, pickupSlots, quote, savedAddress } from './vrcheckout.js';
import { canvasPanel, pressedButton } from './vrhit.js';

const W = 512, H = 720;
const PLANE_W = 0.3, PLANE_H = PLANE_W * (H / W);
const PRESETS = ['vr.preset.hello', 'vr.preset.look', 'vr.preset.deal', 'vr.preset.come', 'vr.preset.thanks'];
// The advisor page's questions (nothing can be typed in the headset); its answer's cards follow them.
const ASK = ['advisor.preset.sale', 'advisor.preset.cheap', 'advisor.preset.stock', 'advisor.preset.gift'];
const MAX_LINES = 4;
const font = (px, weight = 500) => `${weight} ${px}px system-ui, "Noto Sans CJK KR", "NanumGothic", sans-serif`;

export class WristMenu {
  /**
   * @param cart the shared Cart (cart.js)
   * @param sale() the festival (starts_at, ends_at) for the countdown
   * @param storeName(slug) a store's display name
   * @param form the 2D checkout form (its delivery fields are the saved address)
   */
  constructor({ cart, sale, storeName, form, onChat, onEmote, onPlaza, canLeave, emotes, advisor }) {
    Object.assign(this, { cart, sale, storeName, form, onChat, onEmote, onPlaza, canLeave, emotes, advisor });
    Object.assign(this, canvasPanel(W, H, PLANE_W, PLANE_H));
    this.mesh.renderOrder = 30;
    // Above the wrist, tilted back towards the eyes.
    this.mesh.position.set(0, 0.2, -0.04);
    this.mesh.rotation.x = -0.35;
    this.mesh.visible = false;
    this.pinned = false;
    this.palmUp = false;
    this.page = 'cart';
    this.buttons = {};
    this.chosen = { type: 'delivery', slot: null, method: 'card' };
    this.slots = null; // {cart, version, time_zone, slots}
    this.quoted = null; // the server's quote the confirm button charges
    this.busy = false;
    this.message = '';
    this.group = null; // the order group of the last checkout made here
    this.chatLog = [];
    this._raycaster = new THREE.Raycaster();
    this._drawnAt = 0;
    this._up = new THREE.Vector3();
    cart.addEventListener('change', () => { if (this.visible) this.draw(); });
  }

  get visible() { return this.mesh.visible; }

  /** Dock on the left controller when a session starts (the right hand points at it). */
  attach(xr) {
    this.xr = xr;
    this.dock = xr.side('left') ?? xr.controllers[1];
    this.dock.add(this.mesh);
  }

  detach() { this.mesh.removeFromParent(); this.mesh.visible = false; this.pinned = false; this.xr = null; }

  /** X pressed: pin the menu open (or unpin it). */
  toggle(open = !this.pinned) {
    this.pinned = open;
    if (open && this.page === 'done') this.page = 'cart';
    this._show();
  }

  _show() {
    const was = this.mesh.visible;
    this.mesh.visible = Boolean(this.dock) && (this.pinned || this.palmUp);
    if (this.mesh.visible && !was) this.draw();
  }

  /** Per frame in VR: the palm-up gesture, a once-a-second redraw for the countdown. */
  update() {
    const left = this.xr?.side('left');
    if (left && left !== this.dock) { this.dock = left; left.add(this.mesh); }
    if (this.dock) {
      // Palm up. A tracked hand: its wrist joint's -y (out of the palm) points at the sky. A controller held in
      // the left hand: the palm faces the controller's +x, so rolling the palm up points +x at the sky.
      const wrist = this.dock.userData.source?.hand ? this.xr.hands[this.dock.userData.index]?.joints?.wrist : null;
      if (wrist) this._up.set(0, -1, 0).transformDirection(wrist.matrixWorld);
      else this._up.set(1, 0, 0).transformDirection(this.dock.matrixWorld);
      this.palmUp = this._up.y > 0.75;
      this._show();
    }
    const now = performance.now();
    if (this.visible && now - this._drawnAt > 1000) this.draw();
  }

  addChat(name, text) {
    this.chatLog.push(`${name}: ${text}`);
    if (this.chatLog.length > 4) this.chatLog.shift();
    if (this.visible && this.page === 'chat') this.draw();
  }

  // ------------------------------------------------------------ input

  /** Which button a world ray presses ('panel' for the body, null when it misses or the menu is hidden). */
  hit(ray) {
    return pressedButton(this._raycaster, ray, this.mesh, this.buttons, W, H);
  }

  /** The world position of a button's centre (tests aim controllers with it). */
  buttonWorld(name) {
    const rect = this.buttons[name];
    if (!rect || !this.mesh.visible) return null;
    const [x, y, w, h] = rect;
    this.mesh.updateWorldMatrix(true, false);
    return this.mesh.localToWorld(new THREE.Vector3(((x + w / 2) / W - 0.5) * PLANE_W, (0.5 - (y + h / 2) / H) * PLANE_H, 0));
  }

  async press(name) {
    if (this.busy || name === 'panel') return;
    const [kind, arg] = name.split(':');
    try {
      if (kind === 'tab') this._open(arg);
      if (kind === 'plaza') { this.toggle(false); this.onPlaza(); }
      if (kind === 'less' || kind === 'more') await this._step(Number(arg), kind === 'more' ? 1 : -1);
      if (kind === 'type') { this.chosen.type = arg; this.quoted = null; await this._prepare(); }
      if (kind === 'slot') { this.chosen.slot = this.slots?.slots[Number(arg)] ?? null; }
      if (kind === 'method') this.chosen.method = arg;
      if (kind === 'confirm') await this._confirm();
      if (kind === 'approve' || kind === 'decline') await this._pay(kind === 'approve' ? APPROVE : DECLINE);
      if (kind === 'cancel') this.page = 'checkout';
      if (kind === 'preset') this.onChat(t(PRESETS[Number(arg)]));
      if (kind === 'emote') this.onEmote(arg);
      if (kind === 'ask') { this.draw(); await this.advisor.ask(t(ASK[Number(arg)])); }
      if (kind === 'show') await this.advisor.show(Number(arg));
      if (kind === 'go') await this.advisor.go(Number(arg));
      if (kind === 'enter') await this.advisor.goOn();
    } catch (err) {
      this.message = problemText(err);
    }
    this.draw();
  }

  _open(page) {
    this.page = page;
    this.message = '';
    if (page !== 'checkout') return;
    this._prepare().catch((err) => { this.message = problemText(err); }).then(() => this.draw());
  }

  async _step(lineId, delta) {
    const line = this.cart.data?.lines.find((l) => l.id === lineId);
    if (!line) return;
    this.busy = true;
    try {
      if (line.quantity + delta < 1) await this.cart.remove(line.id);
      else await this.cart.setQuantity(line.id, line.quantity + delta);
    } finally { this.busy = false; }
  }

  /** The checkout page's data: pickup slots (for a pickup) and the quote for the chosen fulfilment. */
  async _prepare() {
    const data = this.cart.data;
    this.quoted = null;
    if (!data?.lines.length) return;
    if (this.chosen.type === 'pickup' && !(this.slots?.cart === data.id && this.slots.version === data.version)) {
      this.slots = { cart: data.id, version: data.version, ...(await pickupSlots(data)) };
      if (!this.slots.slots.includes(this.chosen.slot)) this.chosen.slot = null;
    }
    const choice = this._choice();
    if (!choice) return;
    const q = await quote(data, choice);
    if (this.cart.data?.id === data.id) this.quoted = q;
  }

  /** The fulfilment chosen, complete enough to send, or null. */
  _choice() {
    if (this.chosen.type === 'delivery') {
      const address = savedAddress(this.form);
      return address ? { type: 'delivery', address } : null;
    }
    return this.chosen.slot ? { type: 'pickup', slot: this.chosen.slot, contact: pickupContact(this.form) } : null;
  }

  async _confirm() {
    this.message = '';
    if (!this._choice()) { this.message = t(this.chosen.type === 'delivery' ? 'vr.noAddress' : 'co.pickSlot'); return; }
    this.busy = true;
    try { await this._prepare(); } finally { this.busy = false; }
    if (this.quoted) this.page = 'approve';
  }

  async _pay(token) {
    const choice = this._choice();
    if (!choice || !this.quoted) { this.page = 'checkout'; return; }
    this.busy = true;
    this.draw();
    try {
      this.group = await pay(this.cart, { choice, method: this.chosen.method, token, total: this.quoted.total });
      this.page = 'done';
      this.quoted = null;
    } catch (err) {
      this.page = 'checkout';
      this.message = problemText(err);
      this.cart.refresh().catch(() => {});
    } finally { this.busy = false; }
  }

  // ------------------------------------------------------------ drawing

  draw() {
    this._drawnAt = performance.now();
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = 'rgba(18, 20, 30, 0.95)';
    ctx.beginPath(); ctx.roundRect(0, 0, W, H, 24); ctx.fill();
    this.buttons = {};
    ctx.textBaseline = 'top';
    const festival = this.sale();
    ctx.font = font(24, 700); ctx.fillStyle = '#ffd54a';
    ctx.fillText(festival ? saleLine(festival.starts_at, festival.ends_at) : '', 20, 18, W - 40);
    const count = this.cart.data?.status === 'open' ? this.cart.data.lines.reduce((n, l) => n + l.quantity, 0) : 0;
    const tabs = [['tab:cart', `${t('cart.title')} ${count}`], ['tab:checkout', t('vr.checkout')], ['tab:chat', t('vr.chat')],
      ['tab:advisor', t('vr.advisor')]];
    if (this.canLeave()) tabs.push(['plaza', t('nav.plaza')]);
    const tw = (W - 40 - (tabs.length - 1) * 8) / tabs.length;
    tabs.forEach(([name, label], i) => {
      const page = name.split(':')[1];
      this._button(ctx, name, [20 + i * (tw + 8), 56, tw, 60], label,
        { color: page && (page === this.page || (page === 'checkout' && ['approve', 'done'].includes(this.page))) ? '#3a7bd5' : '#3a4254', px: 22 });
    });
    const y = 136;
    if (this.page === 'cart') this._cart(ctx, y);
    else if (this.page === 'checkout') this._checkout(ctx, y);
    else if (this.page === 'approve') this._approve(ctx, y);
    else if (this.page === 'done') this._done(ctx, y);
    else if (this.page === 'advisor') this._advisor(ctx, y);
    else this._chat(ctx, y);
    if (this.message) {
      ctx.font = font(20, 600); ctx.fillStyle = '#ffb4b4';
      wrap(ctx, this.message, 20, H - 64, W - 40, 24, 2);
    }
    this.texture.needsUpdate = true;
  }

  _cart(ctx, y) {
    const data = this.cart.data;
    ctx.font = font(24); ctx.fillStyle = '#dde';
    if (!data || !data.lines.length) { ctx.fillText(t('cart.empty'), 20, y); return; }
    const currency = data.currency || 'KRW';
    ctx.fillStyle = '#aab'; ctx.font = font(20);
    ctx.fillText(`${t('cart.code')} ${data.share_code}`, 20, y);
    y += 34;
    for (const line of data.lines.slice(0, MAX_LINES)) {
      ctx.font = font(22, 700); ctx.fillStyle = '#fff';
      ctx.fillText(line.name, 20, y, W - 40);
      const by = y + 30;
      this._button(ctx, `less:${line.id}`, [20, by, 52, 44], '−', { px: 28 });
      ctx.font = font(26, 700); ctx.fillStyle = '#fff'; ctx.textAlign = 'center';
      ctx.fillText(String(line.quantity), 104, by + 8); ctx.textAlign = 'left';
      this._button(ctx, `more:${line.id}`, [136, by, 52, 44], '+', { px: 28, on: line.quantity < Math.min(99, line.available ?? 99) });
      ctx.font = font(24, 700); ctx.textAlign = 'right';
      ctx.fillText(money(line.line_total, currency), W - 20, by + 8); ctx.textAlign = 'left';
      y += 84;
    }
    if (data.lines.length > MAX_LINES) {
      ctx.font = font(20); ctx.fillStyle = '#aab';
      ctx.fillText(t('vr.more', { n: data.lines.length - MAX_LINES }), 20, y); y += 28;
    }
    ctx.font = font(20); ctx.fillStyle = '#ccd';
    for (const s of data.stores ?? []) {
      const fee = s.shipping_fee ? money(s.shipping_fee, currency) : t('co.shippingFree');
      ctx.fillText(t('vr.subtotal', { store: this.storeName(s.store), subtotal: money(s.subtotal, currency), fee }), 20, y, W - 40);
      y += 28;
    }
    ctx.font = font(30, 800); ctx.fillStyle = '#fff';
    ctx.fillText(`${t('cart.total')} ${money(data.grand_total ?? data.total, currency)}`, 20, y + 4, W - 40);
    this._button(ctx, 'tab:checkout', [20, H - 150, W - 40, 72], t('vr.toCheckout'), { px: 28 });
  }

  _checkout(ctx, y) {
    const data = this.cart.data;
    if (!data?.lines.length) { ctx.font = font(24); ctx.fillStyle = '#dde'; ctx.fillText(t('cart.empty'), 20, y); return; }
    const currency = data.currency || 'KRW';
    const half = (W - 48) / 2;
    this._button(ctx, 'type:delivery', [20, y, half, 52], t('checkout.delivery'), { color: this.chosen.type === 'delivery' ? '#3a7bd5' : '#3a4254' });
    this._button(ctx, 'type:pickup', [28 + half, y, half, 52], t('checkout.pickup'), { color: this.chosen.type === 'pickup' ? '#3a7bd5' : '#3a4254' });
    y += 64;
    ctx.font = font(20); ctx.fillStyle = '#dde';
    if (this.chosen.type === 'delivery') {
      const a = savedAddress(this.form);
      wrap(ctx, a ? `${a.name} · ${a.line1}${a.line2 ? ` ${a.line2}` : ''}, ${a.city} ${a.postal_code}` : t('vr.noAddress'), 20, y, W - 40, 26, 2);
      y += 60;
    } else {
      const slots = this.slots?.slots ?? [];
      if (!slots.length) { wrap(ctx, t('co.noSlots'), 20, y, W - 40, 26, 2); y += 60; }
      slots.slice(0, 4).forEach((slot, i) => {
        this._button(ctx, `slot:${i}`, [20 + (i % 2) * (half + 8), y + Math.floor(i / 2) * 52, half, 44],
          showTime(slot, this.slots.time_zone), { px: 18, color: this.chosen.slot === slot ? '#3a7bd5' : '#3a4254' });
      });
      if (slots.length) y += Math.ceil(Math.min(4, slots.length) / 2) * 52 + 8;
    }
    ctx.font = font(20); ctx.fillStyle = '#aab';
    ctx.fillText(t('co.method'), 20, y); y += 28;
    const mw = (W - 40 - 16) / 3;
    METHODS.forEach((m, i) => {
      this._button(ctx, `method:${m}`, [20 + (i % 3) * (mw + 8), y + Math.floor(i / 3) * 52, mw, 44], t(`pay.${m}`),
        { px: 18, color: this.chosen.method === m ? '#3a7bd5' : '#3a4254' });
    });
    y += 112;
    if (this.quoted) {
      ctx.font = font(20); ctx.fillStyle = '#ccd';
      ctx.fillText(`${t('co.goods')} ${money(this.quoted.items_total, currency)} · ${t('co.shipping')} ${
        this.quoted.shipping_total ? money(this.quoted.shipping_total, currency) : t('co.shippingFree')}`, 20, y, W - 40);
    }
    const total = this.quoted?.total ?? data.grand_total ?? data.total;
    this._button(ctx, 'confirm', [20, H - 150, W - 40, 80], t('checkout.pay', { total: money(total, currency) }),
      { px: 30, color: '#1f9d55', on: !this.busy && Boolean(this._choice()) });
  }

  _approve(ctx, y) {
    const currency = this.cart.data?.currency || 'KRW';
    ctx.font = font(26, 700); ctx.fillStyle = '#fff';
    ctx.fillText(t('co.approveTitle'), 20, y);
    ctx.font = font(22); ctx.fillStyle = '#dde';
    ctx.fillText(t(`pay.${this.chosen.method}`), 20, y + 44);
    ctx.font = font(40, 800); ctx.fillStyle = '#fff';
    ctx.fillText(money(this.quoted?.total ?? 0, currency), 20, y + 84);
    ctx.font = font(20); ctx.fillStyle = '#aab';
    wrap(ctx, t('co.approveHint'), 20, y + 144, W - 40, 26, 2);
    if (this.busy) { ctx.font = font(24, 700); ctx.fillStyle = '#ffd54a'; ctx.fillText(t('co.paying'), 20, y + 210); return; }
    this._button(ctx, 'approve', [20, H - 240, W - 40, 80], t('co.approve'), { px: 30, color: '#1f9d55' });
    this._button(ctx, 'decline', [20, H - 150, (W - 48) / 2, 64], t('co.decline'));
    this._button(ctx, 'cancel', [28 + (W - 48) / 2, H - 150, (W - 48) / 2, 64], t('co.cancel'));
  }

  _done(ctx, y) {
    const g = this.group;
    if (!g) return;
    ctx.font = font(30, 800); ctx.fillStyle = '#8fe388';
    ctx.fillText(t('co.paidByYou'), 20, y);
    y += 50;
    ctx.font = font(20); ctx.fillStyle = '#dde';
    for (const o of g.orders.slice(0, 6)) {
      ctx.fillText(t('co.order', { id: o.id, store: pick(o.store_name) || this.storeName(o.store), total: money(o.total, o.currency) }), 20, y, W - 40);
      y += 30;
    }
    ctx.font = font(24, 700); ctx.fillStyle = '#fff';
    ctx.fillText(t('co.receiptTotal', { total: money(g.total, g.currency), method: t(`pay.${g.payment?.method || 'card'}`) }), 20, y + 10, W - 40);
    this._button(ctx, 'tab:cart', [20, H - 150, W - 40, 64], t('vr.backToCart'));
  }

  /** Preset questions, the answer, and its cards with "show" and "take me there" (the glow and the walk as in 2D). */
  _advisor(ctx, y) {
    const half = (W - 48) / 2, a = this.advisor;
    ASK.forEach((key, i) => this._button(ctx, `ask:${i}`, [20 + (i % 2) * (half + 8), y + Math.floor(i / 2) * 52, half, 44],
      t(key), { px: 18, on: !a.busy }));
    y += 112;
    ctx.font = font(20); ctx.fillStyle = '#dde';
    wrap(ctx, a.message || a.result?.answer || '', 20, y, W - 40, 26, 2);
    y += 60;
    if (a.offer) {
      this._button(ctx, 'enter', [20, y, W - 40, 56], t('advisor.goStore', { store: a.offer.name }), { color: '#1f9d55' });
      y += 68;
    }
    a.cards.slice(0, a.offer ? 3 : 4).forEach((card, i) => {
      const p = card.product;
      ctx.font = font(20, 700); ctx.fillStyle = '#fff';
      ctx.fillText(pick(p.name), 20, y, W - 180);
      ctx.textAlign = 'right'; ctx.fillStyle = '#ffd54a';
      ctx.fillText(money(p.price_min, p.currency), W - 20, y, 150); ctx.textAlign = 'left';
      this._button(ctx, `show:${i}`, [20, y + 30, half, 44], t('advisor.show'), { px: 20 });
      this._button(ctx, `go:${i}`, [28 + half, y + 30, half, 44], t('advisor.go'), { px: 20, color: '#3a7bd5' });
      y += 86;
    });
  }

  _chat(ctx, y) {
    PRESETS.forEach((key, i) => { this._button(ctx, `preset:${i}`, [20, y + i * 56, W - 40, 48], t(key), { px: 22 }); });
    y += PRESETS.length * 56 + 8;
    const ew = (W - 40 - (this.emotes.length - 1) * 8) / this.emotes.length;
    this.emotes.forEach(([name, icon], i) => this._button(ctx, `emote:${name}`, [20 + i * (ew + 8), y, ew, 60], icon, { px: 30 }));
    y += 76;
    ctx.font = font(20); ctx.fillStyle = '#ccd';
    for (const line of this.chatLog) { ctx.fillText(line, 20, y, W - 40); y += 28; }
  }

  _button(ctx, name, rect, label, { color = '#3a4254', px = 24, on = true } = {}) {
    this.buttons[name] = rect;
    const [x, y, w, h] = rect;
    ctx.fillStyle = on ? color : '#444'; ctx.beginPath(); ctx.roundRect(x, y, w, h, 12); ctx.fill();
    ctx.fillStyle = on ? '#fff' : '#999'; ctx.font = font(px, 700); ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(label, x + w / 2, y + h / 2, w - 10); ctx.textAlign = 'left'; ctx.textBaseline = 'top';
    if (!on) delete this.buttons[name];
  }
}

/** Text wrapped to `width`, at most `lines` lines. */
function wrap(ctx, text, x, y, width, line, lines) {
  const rows = [];
  let row = '';
  for (const ch of text) {
    if (ctx.measureText(row + ch).width > width) { rows.push(row); row = ch; } else row += ch;
  }
  rows.push(row);
  rows.slice(0, lines).forEach((r, i) => ctx.fillText(r, x, y + i * line));
}
