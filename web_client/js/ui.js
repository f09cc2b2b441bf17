// DOM overlays outside VR: loading bar, product panel, the change-name dialog, chat, toasts, stats.
import { money } from '../shared/format.js';
import { applyDom, pick, t } from '../shared/i18n.js';
import { saleLine } from './locale.js';
import { categoryPath } from '../shared/categories.js';
import { Closeup } from './closeup.js';
import { VariantChoice } from './variants.js';
import { FocusTrap, showModal } from './focustrap.js';

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
  el.classList.add('show', 'on');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.classList.remove('show');
    // `on` (the toast holds the phone's message line) lasts until the fade has really ended: a timer of the
    // fade's length would race the style engine on a slow phone. Without a transition there is no fade to wait.
    const fading = getComputedStyle(el).transitionDuration.split(',').some((d) => parseFloat(d) > 0);
    if (!fading) el.classList.remove('on');
  }, ms);
}
document.addEventListener('transitionend', (e) => {
  if (e.target.id === 'toast' && !e.target.classList.contains('show')) e.target.classList.remove('on');
});

/** The "Change name" dialog: resolves with the new name, or null when cancelled (Cancel, Escape) or unchanged. */
export function askName(initial = '') {
  const dialog = $('#name-dialog');
  const input = $('input', dialog);
  input.value = initial;
  dialog.returnValue = '';
  applyDom(dialog);
  showModal(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const name = input.value.trim(); // an empty one never gets here as 'ok': the input is required
      resolve(dialog.returnValue === 'ok' && name && name !== initial ? name : null);
    }, { once: true });
  });
}

/**
 * The product panel, a non-modal dialog: pictures and the 3D close-up, name, description (text only), prices
 * with the sale countdown, option pickers over the product's variants, stock, "N looking", quantity and add to
 * cart. It opens for the shelf slot's product (the group's first variant); `product` is the variant chosen, the
 * one the cart line is for. Focus moves in on open, Tab stays inside, Escape closes, focus goes back to where it
 * was (focustrap.js).
 */
export class ProductPanel {
  constructor({ onAdd, onClose, onOption = () => {}, sale, variants, model, minFrameMs = 0 }) {
    this.el = $('#panel');
    this.sale = sale; // () => {starts_at, ends_at}
    this.variantsOf = variants; // slot sku → its variants (fresh objects, in the product list's order)
    this.modelOf = model; // slot sku → a THREE.Group copy of its geometry, or null
    this.onClose = onClose;
    this.slot = null;
    this.choice = null;
    this.looking = 0;
    this.media = 0; // index into mediaList()
    this.has3d = false;
    this.trap = new FocusTrap(this.el, { onEscape: () => this.close() });
    this.broken = new Set(); // picture URLs that failed to load: left out of the gallery
    this.closeup = new Closeup($('canvas.closeup', this.el), { minFrameMs });
    this.el.addEventListener('click', (e) => {
      const button = e.target.closest('[data-action]');
      const action = button?.dataset.action;
      if (action === 'close') this.close();
      if (action === 'add' && this.product) onAdd(this.product, this.quantity());
      if (action === 'less' || action === 'more') this.step(action === 'more' ? 1 : -1);
      if (action === 'media') this.showMedia(Number(button.dataset.index));
    });
    this.el.addEventListener('change', (e) => {
      const axis = e.target.closest('[data-axis]');
      if (!axis || !this.choice) return;
      this.choice.choose(Number(axis.dataset.axis), e.target.value);
      onOption(this.product);
      $('.note', this.el).textContent = '';
      this.render();
    });
    this.el.addEventListener('keydown', (e) => this.key(e));
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
    $('.image', this.el).addEventListener('error', (e) => {
      this.broken.add(e.target.getAttribute('src'));
      if (this.choice) this.renderMedia();
    });
  }

  get product() { return this.choice?.product ?? null; }

  get isOpen() { return !this.el.hidden && this.choice !== null; }

  quantity() {
    const max = Math.max(1, Math.min(99, this.product?.stock ?? 99));
    return Math.max(1, Math.min(max, Math.floor(Number($('.qty input', this.el).value)) || 1));
  }

  step(delta) {
    $('.qty input', this.el).value = String(Math.max(1, this.quantity() + delta));
    $('.qty input', this.el).value = String(this.quantity());
  }

  open(product, looking = 0) {
    if (this.slot !== product.sku) {
      this.slot = product.sku;
      this.choice = new VariantChoice(this.variantsOf(product.sku), product.sku);
      $('.qty input', this.el).value = '1';
      $('.note', this.el).textContent = '';
      const model = this.modelOf(product.sku);
      this.has3d = Boolean(model);
      this.closeup.show(model);
      this.media = 0;
      this.buildOptions();
    }
    this.looking = looking;
    this.el.hidden = false;
    this.render();
    this.trap.activate(); // also for another product while open: a list item chosen takes the keyboard in again
  }

  close() {
    if (this.el.hidden && !this.choice) return;
    this.el.hidden = true;
    this.closeup.stop();
    this.closeup.show(null);
    this.choice = null;
    this.slot = null;
    this.trap.deactivate();
    this.onClose();
  }

  /** A product changed (live price/stock, or a fresh read): re-render when it is one of ours. */
  update(product, looking) {
    if (!this.choice) return;
    if (looking !== undefined) this.looking = looking;
    if (product && this.choice.variants.some((v) => v.sku === product.sku)) this.choice.refresh(this.variantsOf(this.slot));
    this.render();
  }

  setLooking(n) {
    this.looking = n;
    if (this.choice) this.renderLooking();
  }

  note(text) { $('.note', this.el).textContent = text; }

  key(e) {
    if (!e.key.startsWith('Arrow')) return;
    e.stopPropagation(); // arrows inside the panel never walk the shopper
    const inMedia = e.target.closest('.thumbs') || e.target.classList.contains('image');
    if (!inMedia || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
    e.preventDefault();
    const n = this.mediaList().length;
    this.showMedia((this.media + (e.key === 'ArrowRight' ? 1 : n - 1)) % n);
    $(`.thumbs [data-index="${this.media}"]`, this.el)?.focus();
  }

  /** Pictures of the chosen variant (else the slot's), then the 3D view when there is geometry. */
  mediaList() {
    const own = this.product?.images ?? [];
    const slot = this.choice?.variants.find((v) => v.sku === this.slot);
    const images = (own.length ? own : slot?.images ?? []).filter((u) => !this.broken.has(u));
    return this.has3d ? [...images, '3d'] : images;
  }

  showMedia(index) {
    this.media = index;
    this.renderMedia();
  }

  buildOptions() {
    const box = $('.options', this.el);
    box.replaceChildren();
    this.choice.axes.forEach((axis, k) => {
      if (axis.values.length < 2 && this.choice.variants.length < 2) return;
      const set = document.createElement('fieldset');
      set.className = 'option';
      set.dataset.axis = String(k);
      const legend = document.createElement('legend');
      set.append(legend);
      for (const value of axis.values) {
        const label = document.createElement('label');
        label.className = 'chip';
        const input = document.createElement('input');
        input.type = 'radio';
        input.name = `panel-option-${k}`;
        input.value = value;
        const text = document.createElement('span');
        label.append(input, text);
        set.append(label);
      }
      box.append(set);
    });
  }

  renderOptions() {
    const choice = this.choice;
    for (const set of this.el.querySelectorAll('.options fieldset')) {
      const k = Number(set.dataset.axis);
      const axis = choice.axes[k];
      $('legend', set).textContent = axis.name || t('product.variant');
      for (const input of set.querySelectorAll('input')) {
        const shown = axis.name ? input.value : pick(choice.variants.find((v) => v.sku === input.value)?.name);
        const state = choice.state(k, input.value);
        input.checked = choice.selection[k] === input.value;
        input.disabled = state === 'unavailable';
        input.setAttribute('aria-label', state === 'ok' ? shown
          : t(state === 'soldout' ? 'product.soldoutValue' : 'product.unavailable', { v: shown }));
        const label = input.parentElement;
        label.classList.toggle('soldout', state === 'soldout');
        label.classList.toggle('unavailable', state === 'unavailable');
        label.lastElementChild.textContent = shown;
      }
    }
  }

  renderMedia() {
    const list = this.mediaList();
    if (this.media >= list.length) this.media = 0;
    const current = list[this.media];
    const img = $('.image', this.el);
    const canvas = $('canvas.closeup', this.el);
    $('.media', this.el).hidden = list.length === 0;
    img.hidden = current === undefined || current === '3d';
    if (!img.hidden && img.getAttribute('src') !== current) img.src = current;
    img.alt = pick(this.product.name);
    canvas.hidden = current !== '3d';
    $('.closeup-hint', this.el).hidden = canvas.hidden;
    canvas.setAttribute('aria-label', t('product.closeup', { name: pick(this.product.name) }));
    if (canvas.hidden) this.closeup.stop(); else this.closeup.start();
    const thumbs = $('.thumbs', this.el);
    const key = JSON.stringify(list);
    if (thumbs.dataset.key !== key) {
      thumbs.dataset.key = key;
      thumbs.replaceChildren(...(list.length > 1 ? list : []).map((item, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'thumb';
        b.dataset.action = 'media';
        b.dataset.index = String(i);
        if (item === '3d') {
          b.textContent = '3D';
          b.classList.add('three');
        } else {
          const im = document.createElement('img');
          im.src = item;
          im.alt = '';
          b.append(im);
        }
        return b;
      }));
    }
    thumbs.querySelectorAll('.thumb').forEach((b, i) => {
      b.setAttribute('aria-label', list[i] === '3d' ? t('product.view3d')
        : t('product.image', { n: i + 1, total: list.filter((m) => m !== '3d').length }));
      b.setAttribute('aria-pressed', String(i === this.media));
    });
  }

  renderLooking() {
    $('.looking', this.el).textContent = this.looking > 0 ? t('product.looking', { n: this.looking }) : '';
  }

  render() {
    const p = this.product;
    if (!p) return;
    const el = this.el;
    el.dataset.sku = p.sku;
    el.dataset.slot = this.slot;
    $('.name', el).textContent = pick(p.name);
    $('.category', el).textContent = [p.brand, categoryPath(p.category)].filter(Boolean).join(' · ');
    const onSale = p.unit_price < p.price;
    $('.price', el).textContent = money(p.unit_price, p.currency);
    $('.price', el).classList.toggle('sale', onSale);
    const regular = $('.regular', el);
    regular.textContent = onSale ? money(p.price, p.currency) : '';
    if (onSale) regular.setAttribute('aria-label', t('product.regular', { p: money(p.price, p.currency) }));
    else regular.removeAttribute('aria-label');
    $('.off', el).textContent = onSale ? t('product.off', { n: Math.round((1 - p.unit_price / p.price) * 100) }) : '';
    const discounts = [];
    if (p.sale_price !== null && p.sale_price !== undefined && p.sale_price < p.price) {
      discounts.push(t('product.salePrice', { p: money(p.sale_price, p.currency) }));
    }
    if (p.festival_percent > 0) discounts.push(t('product.festival', { n: p.festival_percent }));
    $('.discounts', el).textContent = discounts.join(' · ');
    const sale = this.sale();
    $('.countdown', el).textContent = onSale ? saleLine(sale.starts_at, sale.ends_at) : '';
    this.renderOptions();
    $('.stock', el).textContent = p.stock > 0 ? t('product.left', { n: p.stock }) : t('product.soldout');
    $('.stock', el).classList.toggle('soldout', p.stock <= 0);
    this.renderLooking();
    $('.sku', el).textContent = t('product.sku', { sku: p.sku });
    $('.description', el).textContent = p.description || ''; // text, never markup
    $('.qty input', el).max = String(Math.max(1, Math.min(99, p.stock)));
    $('.add', el).disabled = p.stock <= 0;
    this.renderMedia();
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
