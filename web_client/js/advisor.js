// The shopping advisor in the store (issue 21): a question (typed, spoken where the browser offers speech
// recognition, or a VR preset from the wrist menu) goes to POST /api/v1/advisor; its cards show in the panel (a
// bottom sheet on phones) and the products they name glow on the shelves of the scene the shopper is in. "Show"
// opens a card's product panel (in its own store: the page goes there first); "Take me there" asks the server for
// the walk and draws it on the floor (advisor_path.js) until the shopper gets there or stops it. A product of
// another store: the walk leads to this scene's way out towards it, and there the page offers to go to that store.
import { money } from '../shared/format.js';
import { lang, onLangChange, pick, t } from '../shared/i18n.js';
import { problemText } from '../shared/problems.js';
import { api } from './net.js';
import { ProductGlow } from './advisor_glow.js';
import { fetchPath, WayPath } from './advisor_path.js';
import { FocusTrap } from './focustrap.js';

const $ = (sel, root = document) => root.querySelector(sel);
const Recognition = globalThis.SpeechRecognition || globalThis.webkitSpeechRecognition || null;
// Upright on a phone the panel is a bottom sheet over the floor (app.css): it steps aside for the walk.
const phone = matchMedia('(max-width: 900px) and (orientation: portrait)');

export class Advisor {
  /**
   * @param world the three.js scene the glow and the walk are drawn in
   * @param state the page's state (store, festival, scene, products, groups, selected)
   * @param position() where the shopper stands (a Vector3: the rig, or the head in VR)
   * @param select(sku) open a product's panel (the 2D one, or the in-world one in VR)
   * @param enterStore(slug) go to another store; resolves once it is loaded
   * @param cartLines() the cart's lines ({store, sku}), what "this" may mean after the product in view
   */
  constructor({ world, state, position, select, enterStore, cartLines, toast }) {
    Object.assign(this, { state, position, select, enterStore, cartLines, toast });
    this.glow = new ProductGlow();
    this.path = new WayPath();
    world.add(this.glow.object, this.path.object);
    this.result = null; // the last answer: {answer, cards, understood, provider}
    this.busy = false;
    this.message = ''; // what the panel's status line says (an error, "listening…")
    this.offer = null; // {slug, name}: the store the walk's end leads to
    this.guide = null; // the walk on: {index (of the card), name, store (the other store, or null)}
    this.showing = false; // the answer's products glow from a question until the panel is closed
    this._scene = null;
    this.el = $('#advisor');
    this.toggleButton = $('#advisor-toggle');
    this.guideEl = $('#guide');
    this._wire();
    onLangChange(() => this.render());
  }

  // ------------------------------------------------------------ asking

  /** Ask the advisor; resolves with the answer (also shown, and glowing) or null after a refusal. */
  async ask(message) {
    const text = message.trim();
    if (!text || this.busy) return null;
    const s = this.state;
    const body = { message: text, lang: lang() };
    if (s.store && s.store !== 'plaza') body.store = s.store;
    else body.festival = s.festival?.slug;
    const context = [];
    if (s.selected && s.store !== 'plaza') context.push({ store: s.store, sku: s.selected });
    for (const l of this.cartLines() ?? []) context.push({ store: l.store, sku: l.sku });
    if (context.length) body.cart = context.slice(0, 50);
    this.busy = true;
    this.message = t('advisor.thinking');
    this.render();
    try {
      this.result = await api('/api/v1/advisor', { method: 'POST', body });
      this.message = '';
      this.showing = true;
      this._glowCards();
      return this.result;
    } catch (err) {
      this.message = problemText(err);
      return null;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  get cards() { return this.result?.cards ?? []; }

  /** The slot (shelf sku) in this scene that shows a card's product: its own sku or a variant of its group. */
  slotOf(card) {
    const s = this.state;
    if (!s.scene || card.store !== s.store) return null;
    const sku = card.product.sku;
    if (s.scene.products.has(sku)) return sku;
    const group = s.products.get(sku)?.group ?? card.product.group;
    return (s.groups.get(group) ?? []).find((v) => s.scene.products.has(v)) ?? null;
  }

  _glowCards() {
    const entries = [];
    for (const card of this.showing ? this.cards : []) {
      const slot = this.slotOf(card);
      if (slot) entries.push([card.product.sku, this.state.scene.products.get(slot)]);
    }
    this.glow.show(entries);
  }

  // ------------------------------------------------------------ a card's two actions

  async show(index) {
    const card = this.cards[index];
    if (!card) return;
    if (card.store !== this.state.store) await this.enterStore(card.store);
    const slot = this.slotOf(card);
    if (slot) this.select(slot);
  }

  /** Take me there: the walk from here to the card's product (or towards its store). */
  async go(index) {
    const card = this.cards[index];
    if (!card) return;
    const s = this.state, at = this.position();
    this.offer = null;
    try {
      const route = await fetchPath({ here: s.store, festival: s.festival?.slug, x: at.x, z: at.z,
        store: card.store, sku: card.product.sku });
      this.path.set(route);
      this.guide = { index, name: pick(card.product.name), store: route.store };
      if (phone.matches && !this.el.hidden) this.close(true); // the sheet would hide the way (and the glow stays)
    } catch (err) {
      this.path.clear();
      this.guide = null;
      this.message = problemText(err);
    }
    this.render();
  }

  stop() {
    this.path.clear();
    this.guide = null;
    this.offer = null;
    this.render();
  }

  /** The walk ended at the way out towards another store: go there (update() then carries on to the product). */
  async goOn() {
    const offer = this.offer;
    this.offer = null;
    this.render();
    if (offer) await this.enterStore(offer.slug);
  }

  // ------------------------------------------------------------ per frame

  update(dt) {
    if (this.state.scene !== this._scene) { // another store (or a rebuilt scene): its own glow, a new walk
      this._scene = this.state.scene;
      // Through a portal on the way to another store's product: on across the plaza, or to the product inside.
      const onward = this.guide?.store && [this.guide.store.slug, 'plaza'].includes(this.state.store) ? this.guide.index : null;
      this.path.clear();
      this.guide = null;
      this.offer = null;
      this._glowCards();
      this.render();
      if (onward !== null) this.go(onward);
    }
    this.glow.update(dt);
    if (this.path.update(dt, this.position())) this._arrived();
  }

  _arrived() {
    const route = this.path.route, name = this.guide?.name ?? '';
    this.path.clear();
    if (route.store) {
      this.offer = { slug: route.store.slug, name: pick(route.store.name) };
    } else {
      this.guide = null;
      this.toast(t('advisor.arrived', { name }));
    }
    this.render();
  }

  // ------------------------------------------------------------ the panel

  open() {
    const opening = this.el.hidden;
    this.el.hidden = false;
    this.toggleButton.setAttribute('aria-expanded', 'true');
    this.showing = this.cards.length > 0;
    this._glowCards();
    this.render();
    if (opening) this.trap.activate(); // focus to the question box, Tab kept inside, Escape closes
  }

  close(keepGlow = false) {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.toggleButton.setAttribute('aria-expanded', 'false');
    if (!keepGlow) { this.showing = false; this.glow.clear(); } // the answer stays in the panel
    this.trap.deactivate(); // focus back to what opened the panel
  }

  get isOpen() { return !this.el.hidden; }

  _wire() {
    this.trap = new FocusTrap(this.el, { onEscape: () => this.close(), initial: () => $('#advisor-input') });
    const form = $('form.ask', this.el);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.ask(form.message.value); });
    this.toggleButton.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    this.el.addEventListener('click', (e) => {
      const button = e.target.closest('[data-action]');
      const index = Number(button?.dataset.index);
      switch (button?.dataset.action) {
        case 'close': this.close(); break;
        case 'show': this.show(index); break;
        case 'go': this.go(index); break;
        case 'voice': this._listen(form); break;
        default: break;
      }
    });
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
    this.guideEl.addEventListener('click', (e) => {
      const action = e.target.closest('[data-action]')?.dataset.action;
      if (action === 'stop') this.stop();
      if (action === 'enter') this.goOn();
    });
    $('[data-action="voice"]', this.el).hidden = !Recognition; // only where the browser can listen
  }

  /** Voice input (Web Speech API): one phrase in the page's language, then asked as if typed. */
  _listen(form) {
    const button = $('[data-action="voice"]', this.el);
    if (!Recognition || button.getAttribute('aria-pressed') === 'true') return;
    const r = new Recognition();
    r.lang = lang() === 'ko' ? 'ko-KR' : 'en-US';
    r.interimResults = false;
    r.maxAlternatives = 1;
    r.onresult = (e) => { form.message.value = e.results[0][0].transcript; this.ask(form.message.value); };
    r.onerror = () => { this.message = t('advisor.voiceError'); this.render(); };
    r.onend = () => { button.setAttribute('aria-pressed', 'false'); if (this.message === t('advisor.listening')) this.message = ''; this.render(); };
    button.setAttribute('aria-pressed', 'true');
    this.message = t('advisor.listening');
    this.render();
    r.start();
  }

  render() {
    $('.status', this.el).textContent = this.message || this.result?.answer || '';
    $('button.ask', this.el).disabled = this.busy;
    const list = $('.cards', this.el);
    list.replaceChildren(...this.cards.map((card, i) => this._card(card, i)));
    this._renderGuide();
  }

  _card(card, index) {
    const p = card.product;
    const li = document.createElement('li');
    li.className = 'card';
    li.dataset.sku = p.sku;
    li.dataset.store = card.store;
    const name = document.createElement('h3');
    name.textContent = pick(p.name);
    const price = document.createElement('p');
    price.className = 'price';
    price.textContent = p.price_min === p.price_max ? money(p.price_min, p.currency)
      : `${money(p.price_min, p.currency)}~${money(p.price_max, p.currency)}`;
    if (p.regular_min > p.price_min) {
      const regular = document.createElement('s');
      regular.textContent = money(p.regular_min, p.currency);
      regular.setAttribute('aria-label', t('product.regular', { p: money(p.regular_min, p.currency) }));
      price.append(' ', regular);
    }
    const reason = document.createElement('p');
    reason.className = 'reason';
    reason.textContent = card.reason;
    li.append(name, price, reason);
    if (card.store !== this.state.store) {
      const where = document.createElement('p');
      where.className = 'where';
      where.textContent = t('advisor.elsewhere', { store: pick(p.store_name) });
      li.append(where);
    }
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const [action, key] of [['show', 'advisor.show'], ['go', 'advisor.go']]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = action === 'go' ? 'btn primary small' : 'btn small';
      b.dataset.action = action;
      b.dataset.index = String(index);
      b.textContent = t(key);
      b.setAttribute('aria-label', `${t(key)}: ${pick(p.name)}`);
      actions.append(b);
    }
    li.append(actions);
    return li;
  }

  /** The line at the bottom while a walk is on: where to, and a way to stop; at a way out, the store to go to. */
  _renderGuide() {
    const el = this.guideEl;
    el.hidden = !this.path.active && !this.offer;
    const text = $('.text', el), enter = $('[data-action="enter"]', el);
    enter.hidden = !this.offer;
    if (this.offer) {
      text.textContent = t('advisor.door', { store: this.offer.name });
      enter.textContent = t('advisor.goStore', { store: this.offer.name });
    } else if (this.path.active) {
      const to = this.guide?.store ? pick(this.guide.store.name) : this.guide?.name ?? '';
      text.textContent = t('advisor.guiding', { name: to, m: Math.round(this.path.route.length_m) });
    }
  }

  /** What the test hook reads. */
  info() {
    return {
      open: this.isOpen, busy: this.busy, answer: this.result?.answer ?? null, message: this.message,
      cards: this.cards.map((c) => ({ store: c.store, sku: c.product.sku })),
      glowing: this.glow.object.visible ? [...this.glow.skus] : [], pulsing: this.glow.pulsing,
      path: this.path.route ? { points: this.path.route.points, arrives: this.path.route.arrives,
        product: this.path.route.product, visible: this.path.object.visible, arrows: this.path.arrows.count } : null,
      offer: this.offer,
    };
  }
}
