// The cart panel (DOM): start/join a group cart, share code, members, lines with who added them,
// per-store subtotals, total, checkout form and the per-store order confirmation.
import { money } from '../shared/format.js';
import { t } from '../shared/i18n.js';
import { toast } from './ui.js';

const $ = (sel, root) => root.querySelector(sel);

export class CartView {
  constructor(cart, { storeName }) {
    this.cart = cart;
    this.storeName = storeName; // slug → display name
    this.el = document.getElementById('cart');
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
    this.el.addEventListener('click', (e) => this._click(e));
    $('form.join', this.el).addEventListener('submit', (e) => { e.preventDefault(); this._join(); });
    const form = $('form.checkout', this.el);
    form.addEventListener('change', () => this._mode());
    form.addEventListener('submit', (e) => { e.preventDefault(); this._checkout(); });
    cart.addEventListener('change', () => this.render());
    document.getElementById('cart-toggle').addEventListener('click', () => this.toggle());
    this.render();
  }

  toggle(open = this.el.hidden) { this.el.hidden = !open; if (open) this.render(); }

  async _click(e) {
    const target = e.target.closest('[data-action]');
    if (!target) return;
    const action = target.dataset.action;
    try {
      if (action === 'close') this.toggle(false);
      if (action === 'create') await this.cart.create();
      if (action === 'copy') {
        await navigator.clipboard?.writeText(this.cart.data.share_code).catch(() => {});
        toast(t('cart.copied'));
      }
      if (action === 'remove') await this.cart.remove(Number(target.dataset.line));
      if (action === 'new') { $('.confirmation', this.el).hidden = true; this.render(); }
    } catch (err) {
      toast(t('error.generic', { e: err.message }));
    }
  }

  async _join() {
    const input = $('form.join input', this.el);
    try {
      await this.cart.join(input.value.trim());
      input.value = '';
    } catch (err) {
      toast(t('error.generic', { e: err.message }));
    }
  }

  _mode() {
    const form = $('form.checkout', this.el);
    const pickup = form.type.value === 'pickup';
    $('.delivery', form).hidden = pickup;
    $('.pickup', form).hidden = !pickup;
    for (const input of $('.delivery', form).querySelectorAll('input')) input.required = !pickup;
  }

  async _checkout() {
    const form = $('form.checkout', this.el);
    const error = $('.error', form);
    error.textContent = '';
    let fulfilment;
    if (form.type.value === 'pickup') {
      const when = form.slot.value ? new Date(form.slot.value) : new Date(Date.now() + 3600_000);
      fulfilment = { type: 'pickup', slot: when.toISOString() };
    } else {
      const address = {};
      for (const k of ['name', 'phone', 'line1', 'city', 'postal_code']) address[k] = form[k].value.trim();
      fulfilment = { type: 'delivery', address };
    }
    const pay = $('.pay', form);
    pay.disabled = true;
    try {
      const group = await this.cart.checkout(fulfilment, form.token.value.trim() || 'tok_visa');
      this._confirm(group);
    } catch (err) {
      error.textContent = t('checkout.failed', { e: err.message });
      this.cart.refresh().catch(() => {}); // prices or stock may have changed under us
    } finally {
      pay.disabled = false;
    }
  }

  _confirm(group) {
    const box = $('.confirmation', this.el);
    const list = $('.orders', box);
    list.replaceChildren(...group.orders.map((o) => {
      const li = document.createElement('li');
      li.dataset.order = o.id;
      li.textContent = t('checkout.order', { id: o.id, store: this.storeName(o.store), total: money(o.total, o.currency) });
      return li;
    }));
    box.hidden = false;
    $('.start', this.el).hidden = true;
    $('.body', this.el).hidden = true;
  }

  render() {
    const data = this.cart.data;
    const count = data ? data.lines.reduce((n, l) => n + l.quantity, 0) : 0;
    document.getElementById('cart-count').textContent = String(count);
    if (!$('.confirmation', this.el).hidden) return;
    $('.start', this.el).hidden = Boolean(data);
    $('.body', this.el).hidden = !data;
    if (!data) return;
    this.el.dataset.version = data.version;
    const currency = data.currency || 'KRW';
    $('.code', this.el).textContent = data.share_code;
    $('.members', this.el).textContent = `${t('cart.members')}: ${data.members.map((m) => m.name + (m.owner ? ' ★' : '')).join(', ')}`;
    const lines = $('.lines', this.el);
    if (!data.lines.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = t('cart.empty');
      lines.replaceChildren(li);
    } else {
      lines.replaceChildren(...data.lines.map((l) => {
        const li = document.createElement('li');
        li.dataset.sku = l.sku;
        li.dataset.line = l.id;
        li.innerHTML = '<span class="n"></span> <span class="q"></span> <span class="m"></span> <small class="by"></small> <button class="btn small" data-action="remove"></button>';
        $('.n', li).textContent = l.name;
        $('.q', li).textContent = `× ${l.quantity}`;
        $('.m', li).textContent = money(l.line_total, currency);
        $('.by', li).textContent = t('cart.by', { name: l.added_by.name });
        const remove = $('button', li);
        remove.dataset.line = l.id;
        remove.textContent = t('cart.remove');
        return li;
      }));
    }
    $('.subtotals', this.el).replaceChildren(...data.stores.map((s) => {
      const li = document.createElement('li');
      li.dataset.store = s.store;
      li.textContent = `${this.storeName(s.store)} — ${t('cart.subtotal')} ${money(s.subtotal, currency)}`;
      return li;
    }));
    $('.total', this.el).textContent = `${t('cart.total')} ${money(data.total, currency)}`;
    const pay = $('.pay', this.el);
    pay.textContent = t('checkout.pay', { total: money(data.total, currency) });
    pay.disabled = !data.lines.length;
  }
}
