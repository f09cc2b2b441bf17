// The cart panel (DOM): start/join a group cart, share code, members, lines with who added them and an inline
// quantity, per-store subtotals with shipping, the checkout form (delivery or a pickup slot the stores offer, a
// payment method, the test provider's approval page) and the receipt. When anyone in the group pays, every
// member's panel shows who paid and what, then carries on in the fresh cart the server opened for the group.
// Every error is told in the page's language (shared/problems.js), never in the server's English.
import { money, showTime } from '../shared/format.js';
import { pick, register, t } from '../shared/i18n.js';
import { el } from '../shared/dom.js';
import { problemText } from '../shared/problems.js';
import strings from './checkout_strings.js';
import { PAYMENT_METHODS as METHODS, checkoutBody } from './cart.js';
import { api } from './net.js';
import { toast } from './ui.js';
import { FocusTrap, showModal } from './focustrap.js';

register(strings);

const $ = (sel, root) => root.querySelector(sel);
const CHANGED_TOAST_MS = 4 * 1000; // long enough to read what changed in the cart
const DECLINE = 'tok_decline';
const APPROVE = 'tok_approve';

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

export class CartView {
  constructor(cart, { storeName }) {
    this.cart = cart;
    this.storeName = storeName; // slug → display name
    this.el = document.getElementById('cart');
    this.form = $('form.checkout', this.el);
    this.quote = null; // the server's quote for the chosen fulfilment: what the Pay button charges
    this.slots = null; // {cart, version, slots} of the last pickup slot read
    this.shown = null; // the cart as last rendered: what a 409 re-read is compared with
    this.receiptGroup = null;
    this.followed = new Set(); // checked-out carts already followed to their successor
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation());
    this.el.addEventListener('click', (e) => this._click(e));
    this.el.addEventListener('change', (e) => this._changed(e));
    $('form.join', this.el).addEventListener('submit', (e) => { e.preventDefault(); this._join(); });
    this.form.addEventListener('change', (e) => { if (e.target.name === 'type' || e.target.name === 'postal_code') this._fulfilment(); });
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this._checkout(); });
    this._methods();
    this._fulfilment();
    this.paying = false; // our own checkout is under way: its answer, not the live echo, shows the receipt
    cart.addEventListener('change', () => this._cartChanged());
    // A dialog over the store for the keyboard (focustrap.js): focus moves in, Tab stays, Escape closes.
    this.trap = new FocusTrap(this.el, { onEscape: () => this.toggle(false) });
    document.getElementById('cart-toggle').addEventListener('click', () => this.toggle());
    this.render();
  }

  toggle(open = this.el.hidden) {
    this.el.hidden = !open;
    document.getElementById('cart-toggle').setAttribute('aria-expanded', String(open));
    if (open) { this.render(); this.trap.activate(); } else this.trap.deactivate();
  }

  _methods() {
    const box = $('.methods', this.form);
    box.querySelectorAll('label').forEach((n) => n.remove());
    for (const [i, method] of METHODS.entries()) {
      const input = el('input', { type: 'radio', name: 'method', value: method, checked: i === 0 });
      box.append(el('label', { class: 'method', dataset: { method } }, input, ' ', el('span', {}, t(`pay.${method}`))));
    }
  }

  // ---------------------------------------------------------------- actions

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
      if (action === 'less' || action === 'more') {
        const line = this.cart.data.lines.find((l) => l.id === Number(target.dataset.line));
        if (line) await this._setQuantity(line, line.quantity + (action === 'more' ? 1 : -1));
      }
      if (action === 'dismiss') { this.receiptGroup = null; $('.receipt', this.el).hidden = true; }
    } catch (err) {
      toast(problemText(err));
    }
  }

  _changed(e) {
    const input = e.target.closest('input.qty');
    if (!input) return;
    const line = this.cart.data?.lines.find((l) => l.id === Number(input.dataset.line));
    const value = Number(input.value);
    if (!line || !Number.isInteger(value) || value < 1 || value > 99) { this.render(); return; }
    this._setQuantity(line, value).catch((err) => toast(problemText(err)));
  }

  /** PATCH the line if the cart is still the version we show; if it moved on (409), re-read and say what changed. */
  async _setQuantity(line, quantity) {
    if (quantity < 1) { await this.cart.remove(line.id); return; }
    const data = this.cart.data;
    try {
      const updated = await api(`/api/v1/carts/${data.id}/lines/${line.id}`, {
        method: 'PATCH', body: { quantity }, headers: { 'If-Match': `"${data.version}"` } });
      this.cart.adopt(updated);
    } catch (err) {
      if (err.status !== 409) throw err;
      const before = this.cart.data;
      const now = await this.cart.refresh();
      this._say(err.problem?.reason === 'stale_version' ? this._whatChanged(before, now) : problemText(err));
    }
  }

  _whatChanged(before, now) {
    if (!before || !now) return problemText({ status: 409, problem: { reason: 'stale_version' } });
    const old = new Map(before.lines.map((l) => [l.id, l]));
    const said = [];
    for (const line of now.lines) {
      const was = old.get(line.id);
      if (!was) said.push(t('co.changedAdded', { name: line.name, n: line.quantity }));
      else if (was.quantity !== line.quantity) said.push(t('co.changedQty', { name: line.name, from: was.quantity, n: line.quantity }));
      old.delete(line.id);
    }
    for (const gone of old.values()) said.push(t('co.changedRemoved', { name: gone.name }));
    return said.length ? `${t('problem.reason.stale_version')} ${said.join(' · ')}` : t('problem.reason.stale_version');
  }

  _say(text) {
    const note = $('.changed', this.el);
    note.textContent = text;
    note.hidden = !text;
    if (text) toast(text, CHANGED_TOAST_MS);
  }

  async _join() {
    const input = $('form.join input', this.el);
    try {
      await this.cart.join(input.value.trim());
      input.value = '';
    } catch (err) {
      toast(problemText(err));
    }
  }

  // ---------------------------------------------------------------- fulfilment and the quote

  _mode() { return this.form.type.value === 'pickup' ? 'pickup' : 'delivery'; }

  _fulfilment() {
    const pickup = this._mode() === 'pickup';
    $('.delivery', this.form).hidden = pickup;
    $('.pickup', this.form).hidden = !pickup;
    for (const input of $('.delivery', this.form).querySelectorAll('input')) input.required = !pickup && input.name !== 'line2';
    for (const name of ['slot', 'pickup_name', 'pickup_phone']) this.form[name].required = pickup;
    if (pickup) this._loadSlots();
    this._loadQuote();
  }

  async _loadSlots() {
    const data = this.cart.data;
    if (!data?.lines.length) return;
    if (this.slots && this.slots.cart === data.id && this.slots.version === data.version) return;
    const select = this.form.slot;
    try {
      const found = await api(`/api/v1/carts/${data.id}/pickup_slots?days=7`);
      this.slots = { cart: data.id, version: data.version, ...found };
    } catch (err) {
      this.slots = null;
      $('.error', this.form).textContent = problemText(err);
      return;
    }
    const chosen = select.value;
    const zone = this.slots.time_zone;
    select.replaceChildren(el('option', { value: '' }, t('co.pickSlot')),
      ...this.slots.slots.map((slot) => el('option', { value: slot, selected: slot === chosen }, showTime(slot, zone))));
    $('.no-slots', this.form).hidden = this.slots.slots.length > 0;
  }

  async _loadQuote() {
    const data = this.cart.data;
    if (!data?.lines.length || data.status !== 'open') { this.quote = null; this._renderQuote(); return; }
    const type = this._mode();
    const postal = type === 'delivery' ? this.form.postal_code.value.trim() : '';
    const query = `type=${type}${postal && /^[0-9A-Za-z -]{3,10}$/.test(postal) ? `&postal_code=${encodeURIComponent(postal)}` : ''}`;
    try {
      const quote = await api(`/api/v1/carts/${data.id}/quote?${query}`);
      if (this.cart.data?.id === data.id) { this.quote = quote; this._renderQuote(); }
    } catch (err) {
      $('.error', this.form).textContent = problemText(err);
    }
  }

  _renderQuote() {
    const box = $('.quote', this.form);
    const pay = $('.pay', this.form);
    const data = this.cart.data;
    const currency = data?.currency || 'KRW';
    const q = this.quote && this.quote.cart === data?.id ? this.quote : null;
    const goods = q ? q.items_total : data?.total ?? 0;
    const shipping = q ? q.shipping_total : data?.shipping_total ?? 0;
    const total = q ? q.total : data?.grand_total ?? goods;
    const surcharge = q ? q.stores.reduce((n, s) => n + s.remote_surcharge, 0) : 0;
    box.replaceChildren(
      el('dt', {}, t('co.goods')), el('dd', {}, money(goods, currency)),
      el('dt', {}, t('co.shipping')), el('dd', {}, shipping ? money(shipping, currency) : t('co.shippingFree'),
        surcharge ? el('small', {}, ` (${t('co.remote', { amount: money(surcharge, currency) })})`) : null),
      el('dt', { class: 'grand' }, t('co.grand')), el('dd', { class: 'grand' }, money(total, currency)));
    pay.textContent = t('checkout.pay', { total: money(total, currency) });
    pay.disabled = !data?.lines.length || data.status !== 'open';
  }

  // ---------------------------------------------------------------- paying

  _body(method, token) {
    const f = this.form;
    let fulfilment;
    if (this._mode() === 'pickup') {
      fulfilment = { type: 'pickup', slot: f.slot.value,
        contact: { name: f.pickup_name.value.trim(), phone: f.pickup_phone.value.trim() } };
    } else {
      const address = {};
      for (const k of ['name', 'phone', 'line1', 'city', 'postal_code']) address[k] = f[k].value.trim();
      if (f.line2.value.trim()) address.line2 = f.line2.value.trim();
      fulfilment = { type: 'delivery', address };
    }
    return checkoutBody(this.cart.data, { fulfilment, method, token, total: this.quote.total });
  }

  /** The test provider's approval page: resolves to 'approve', 'decline' or 'cancel'. */
  _approve(method, total, currency) {
    const dialog = $('dialog.approval', this.el);
    $('.brand', dialog).textContent = t('co.brand', { method: t(`pay.${method}`) });
    $('.brand', dialog).dataset.method = method;
    $('.amount', dialog).textContent = money(total, currency);
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue || 'cancel'), { once: true });
      dialog.returnValue = '';
      showModal(dialog);
    });
  }

  async _checkout() {
    const error = $('.error', this.form);
    error.textContent = '';
    this._fulfilment();
    if (!this.form.reportValidity()) return;
    const pay = $('.pay', this.form);
    pay.disabled = true;
    this.paying = true;
    try {
      await this._loadQuote(); // the amount to approve is the server's, with this address's shipping
      if (!this.quote) return;
      const data = this.cart.data;
      const method = this.form.method.value || 'card';
      const answer = await this._approve(method, this.quote.total, data.currency || 'KRW');
      if (answer === 'cancel') return;
      pay.textContent = t('co.paying');
      const key = newKey(); // one attempt, one key: a retried request of it is replayed, never charged twice
      const group = await api(`/api/v1/carts/${data.id}/checkout`, {
        method: 'POST', headers: { 'Idempotency-Key': key }, body: this._body(method, answer === 'approve' ? APPROVE : DECLINE) });
      this.cart.lastGroup = group;
      this.cart.dispatchEvent(new CustomEvent('checkout', { detail: group }));
      this._receipt(group, true);
      await this._follow(data.id, group.next_cart);
    } catch (err) {
      error.textContent = problemText(err);
      this.cart.refresh().catch(() => {}); // prices or stock may have changed under us
      if (err.problem?.reason === 'pickup_slot') { // it passed while the shopper paid: offer what is left
        this.slots = null;
        this._loadSlots();
      }
    } finally {
      this.paying = false;
      this._renderQuote();
    }
  }

  // ---------------------------------------------------------------- after a checkout (ours or a friend's)

  async _cartChanged() {
    const data = this.cart.data;
    if (data?.status !== 'checked_out' || this.paying) { this.render(); return; }
    // Someone in the group paid (a friend, or we in another tab): say who and what, once, then carry on in the
    // cart the server opened for the group. A late read of the old cart lands here again and is followed again.
    if (data.order_group && !this.followed.has(data.id)) {
      this.followed.add(data.id);
      try {
        const group = await api(`/api/v1/order_groups/${data.order_group}`);
        if (this.receiptGroup?.id !== group.id) this._receipt(group, false);
      } catch (err) {
        toast(problemText(err));
      }
    }
    await this._follow(data.id, data.next_cart);
  }

  /** Carry on in the cart the group got after paying; none (an old cart): start afresh. */
  async _follow(oldId, next) {
    this.followed.add(oldId);
    this.quote = null;
    this.slots = null;
    if (!next) { this.cart.leave(); this.render(); return; }
    try {
      this.cart.adopt(await api(`/api/v1/carts/${next.id}`)); // not refresh(): a read of the old cart may be in flight
    } catch {
      this.cart.leave();
    }
    this.render();
  }

  _receipt(group, mine) {
    this.receiptGroup = group;
    const box = $('.receipt', this.el);
    $('.paid-by', box).textContent = mine ? t('co.paidByYou') : t('co.paidBy', { name: group.buyer?.name || '' });
    $('.orders', box).replaceChildren(...group.orders.map((o) => el('li', { dataset: { order: o.id } },
      t('co.order', { id: o.id, store: pick(o.store_name) || this.storeName(o.store), total: money(o.total, o.currency) }),
      el('br'), el('small', {}, o.lines.map((l) => `${l.name} × ${l.quantity}`).join(', ')))));
    $('.receipt-total', box).textContent = t('co.receiptTotal', { total: money(group.total, group.currency),
      method: t(`pay.${group.payment?.method || 'card'}`) });
    $('.view-order', box).href = `/orders/${group.id}`;
    box.hidden = false;
    box.dataset.group = group.id;
  }

  // ---------------------------------------------------------------- drawing

  render() {
    const data = this.cart.data;
    const count = data && data.status === 'open' ? data.lines.reduce((n, l) => n + l.quantity, 0) : 0;
    document.getElementById('cart-count').textContent = String(count);
    $('.start', this.el).hidden = Boolean(data);
    $('.body', this.el).hidden = !data;
    this.shown = data;
    if (!data) return;
    this.el.dataset.version = data.version;
    this.el.dataset.cart = data.id;
    const currency = data.currency || 'KRW';
    $('.code', this.el).textContent = data.share_code;
    $('.members', this.el).textContent = `${t('cart.members')}: ${data.members.map((m) => m.name + (m.owner ? ' ★' : '')).join(', ')}`;
    const lines = $('.lines', this.el);
    const had = lineControl(lines, document.activeElement);
    if (!data.lines.length) {
      lines.replaceChildren(el('li', { class: 'empty' }, t('cart.empty')));
    } else {
      lines.replaceChildren(...data.lines.map((l) => this._line(l, currency)));
    }
    if (had) refocus(lines, had, this.el);
    $('.subtotals', this.el).replaceChildren(...data.stores.map((s) => {
      const fee = s.shipping_fee ? money(s.shipping_fee, currency) : t('co.shippingFree');
      const free = s.free_shipping_over ? ` (${t('co.freeOver', { amount: money(s.free_shipping_over, currency) })})` : '';
      return el('li', { dataset: { store: s.store } },
        t('co.subtotalLine', { store: this.storeName(s.store), subtotal: money(s.subtotal, currency), fee }) + free);
    }));
    $('.total', this.el).textContent = `${t('cart.total')} ${money(data.grand_total ?? data.total, currency)}`;
    this.form.hidden = !data.lines.length || data.status !== 'open'; // nothing to pay: no Pay button at all
    if (this.quote && (this.quote.cart !== data.id || this.quote.version !== data.version)) this._loadQuote();
    if (!this.quote) this._loadQuote();
    if (this._mode() === 'pickup') this._loadSlots();
    this._renderQuote();
  }

  _line(l, currency) {
    const name = el('span', { class: 'n' }, l.name);
    const qty = el('span', { class: 'q' },
      el('button', { type: 'button', class: 'btn small step', dataset: { action: 'less', line: l.id },
        'aria-label': t('co.qtyLess', { name: l.name }) }, '−'),
      el('label', { class: 'sr', for: `line-qty-${l.id}` }, t('co.qtyLabel', { name: l.name })),
      el('input', { type: 'number', class: 'qty', min: 1, max: 99, value: l.quantity, inputmode: 'numeric',
        id: `line-qty-${l.id}`, dataset: { line: l.id } }),
      el('button', { type: 'button', class: 'btn small step', dataset: { action: 'more', line: l.id },
        'aria-label': t('co.qtyMore', { name: l.name }), disabled: l.quantity >= Math.min(99, l.available) }, '+'));
    return el('li', { dataset: { sku: l.sku, line: l.id } }, name, qty,
      el('span', { class: 'm' }, money(l.line_total, currency)),
      el('small', { class: 'by' }, t('cart.by', { name: l.added_by.name })),
      el('button', { type: 'button', class: 'btn small', dataset: { action: 'remove', line: l.id } }, t('cart.remove')));
  }
}

// A render replaces the line rows, and with them the control that had focus: a keyboard shopper stepping a quantity,
// or a live update arriving while they tab through the cart, would drop to <body> and out of the panel's focus trap.
// So the control is found again in the new rows by what it is (the same action on the same line).

/** What the focused element is, if it is one of a line's controls: {line, action} ('qty' for the number field). */
function lineControl(lines, focused) {
  if (!focused || !lines.contains(focused)) return null;
  const line = focused.dataset.line;
  return line ? { line, action: focused.dataset.action ?? 'qty' } : null;
}

/**
 * Focus the same control in the new rows; if it is now disabled (+ at the most there is), the line's quantity
 * field; if the line is gone, the panel itself, so focus stays inside it.
 */
function refocus(lines, { line, action }, panel) {
  const controls = [...lines.querySelectorAll(`:is(button, input)[data-line="${CSS.escape(line)}"]`)];
  const again = controls.find((c) => (c.dataset.action ?? 'qty') === action && !c.disabled)
    ?? controls.find((c) => c.matches('input.qty'));
  (again ?? panel).focus({ preventScroll: true });
}
