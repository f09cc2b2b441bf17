// DOM overlays outside VR: loading bar, product panel, display-name dialog, chat, toasts, stats.
import { money } from '../shared/format.js';
import { applyDom, pick, t } from '../shared/i18n.js';
import { saleLine } from './locale.js';

const $ = (sel, root = document) => root.querySelector(sel);

export function progress(fraction, label) {
  const el = $('#progress');
  el.hidden = fraction === null;
  if (fraction === null) return;
  const pct = Math.round(fraction * 100);
  el.setAttribute('aria-valuenow', String(pct));
  $('.bar', el).style.width = `${pct}%`;
  $('.label', el).textContent = label ?? t('load.scene', { p: pct });
}

let toastTimer = null;
export function toast(text, ms = 2500) {
  const el = $('#toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), ms);
}

/** Ask once for the display name; resolves with it (the dialog cannot be dismissed empty). */
export function askName(initial = '') {
  const dialog = $('#name-dialog');
  const input = $('input', dialog);
  input.value = initial;
  applyDom(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', function done() {
      const name = input.value.trim();
      if (!name) { dialog.showModal(); return; }
      dialog.removeEventListener('close', done);
      resolve(name);
    });
  });
}

/** The product panel. `product` is the API's ProductOut; call update() when a live change arrives. */
export class ProductPanel {
  constructor({ onAdd, onClose, sale }) {
    this.el = $('#panel');
    this.sale = sale; // () => {starts_at, ends_at}
    this.product = null;
    this.looking = 0;
    this.el.addEventListener('click', (e) => {
      const action = e.target.closest('[data-action]')?.dataset.action;
      if (action === 'close') { this.close(); onClose(); }
      if (action === 'add' && this.product) onAdd(this.product, this.quantity());
    });
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
  }

  quantity() { return Math.max(1, Math.min(99, Number($('.qty input', this.el).value) || 1)); }

  open(product, looking = 0) {
    const changed = this.product?.sku !== product.sku;
    this.product = product;
    this.looking = looking;
    if (changed) { $('.qty input', this.el).value = '1'; $('.note', this.el).textContent = ''; }
    this.render();
    this.el.hidden = false;
  }

  close() { this.el.hidden = true; this.product = null; }

  get isOpen() { return !this.el.hidden && this.product !== null; }

  update(product, looking) {
    if (!this.product || product.sku !== this.product.sku) return;
    this.product = product;
    if (looking !== undefined) this.looking = looking;
    this.render();
  }

  note(text) { $('.note', this.el).textContent = text; }

  render() {
    const p = this.product;
    if (!p) return;
    const el = this.el;
    el.dataset.sku = p.sku;
    $('.name', el).textContent = pick(p.name);
    $('.category', el).textContent = [p.brand, p.category].filter(Boolean).join(' · ');
    const img = $('.image', el);
    img.hidden = !p.image;
    if (p.image && img.getAttribute('src') !== p.image) img.src = p.image;
    const onSale = p.unit_price < p.price;
    $('.price', el).textContent = money(p.unit_price, p.currency);
    $('.price', el).classList.toggle('sale', onSale);
    $('.regular', el).textContent = onSale ? money(p.price, p.currency) : '';
    const sale = this.sale();
    $('.countdown', el).textContent = onSale ? saleLine(sale.starts_at, sale.ends_at) : '';
    $('.stock', el).textContent = p.stock > 0 ? t('product.left', { n: p.stock }) : t('product.soldout');
    $('.stock', el).classList.toggle('soldout', p.stock <= 0);
    $('.looking', el).textContent = this.looking > 0 ? t('product.looking', { n: this.looking }) : '';
    $('.add', el).disabled = p.stock <= 0;
  }
}

export class Chat {
  constructor({ onSend, onEmote, emotes }) {
    this.el = $('#chat');
    const form = $('form', this.el);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = form.text.value.trim();
      if (text) onSend(text);
      form.text.value = '';
    });
    const box = $('.emotes', this.el);
    for (const [name, icon] of emotes) {
      const b = document.createElement('button');
      b.className = 'btn small'; b.textContent = icon; b.title = name; b.dataset.emote = name;
      b.addEventListener('click', () => onEmote(name));
      box.append(b);
    }
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
  }

  add(name, text, mine = false) {
    const li = document.createElement('li');
    li.className = mine ? 'mine' : '';
    const who = document.createElement('b');
    who.textContent = name;
    li.append(who, document.createTextNode(` ${text}`));
    const log = $('.log', this.el);
    log.append(li);
    while (log.children.length > 50) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  }
}

export function setLiveStatus(text, state) {
  const el = $('#live-status');
  el.textContent = text;
  el.dataset.state = state;
}

export function showStats(text) {
  const el = $('#stats');
  el.hidden = false;
  el.textContent = text;
}
