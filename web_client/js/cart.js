// The group cart: state and REST calls only (the DOM lives in cartview.js). The DB is the truth; live
// `cart` messages only say "cart c is now version v", so any newer version means: re-read the cart.
import { api } from './net.js';

const KEY = 'vrstore.cart';

export class Cart extends EventTarget {
  constructor() {
    super();
    this.data = null; // CartOut
    this.lastGroup = null; // OrderGroupOut of the last checkout
    this.id = Number(localStorage.getItem(KEY)) || null;
    this._reading = null;
    this._again = null;
  }

  _set(data) {
    if (this.data && data.id === this.data.id && data.version < this.data.version) return; // a stale reply
    this.data = data;
    this.id = data.id;
    localStorage.setItem(KEY, String(data.id));
    this.dispatchEvent(new CustomEvent('change', { detail: data }));
  }

  _forget() {
    this.data = null;
    this.id = null;
    localStorage.removeItem(KEY);
    this.dispatchEvent(new CustomEvent('change', { detail: null }));
  }

  /** Load the remembered cart, if it is still ours and open. */
  async restore() {
    if (!this.id) return null;
    try {
      const data = await api(`/api/v1/carts/${this.id}`);
      if (data.status !== 'open' && data.next_cart) { this.id = data.next_cart.id; return this.restore(); } // paid: the group carries on
      if (data.status !== 'open') { this._forget(); return null; }
      this._set(data);
      return data;
    } catch {
      this._forget();
      return null;
    }
  }

  /** A cart the caller already read (e.g. a PATCH's answer): taken like a re-read. */
  adopt(data) { this._set(data); }

  async create() {
    const created = await api('/api/v1/carts', { method: 'POST' });
    this.id = created.id;
    return this.refresh();
  }

  async join(shareCode) {
    this._set(await api('/api/v1/carts/join', { method: 'POST', body: { share_code: shareCode } }));
    return this.data;
  }

  async ensure() {
    if (this.data?.status === 'open') return this.data;
    return (await this.restore()) || this.create();
  }

  async refresh() {
    if (!this.id) return null;
    // Coalesce bursts of live events, but never answer with a read that started before the call: a change heard
    // while a read is in flight may have landed after the server answered it. So: one read in flight, and at
    // most one more queued behind it for everything asked meanwhile.
    if (this._reading) {
      this._again ??= this._reading.catch(() => {}).then(() => { this._again = null; return this._read(); });
      return this._again;
    }
    return this._read();
  }

  _read() {
    if (!this.id) return Promise.resolve(null);
    this._reading = api(`/api/v1/carts/${this.id}`).then((d) => { this._set(d); return d; })
      .finally(() => { this._reading = null; });
    return this._reading;
  }

  async add(store, sku, quantity = 1) {
    await this.ensure();
    this._set(await api(`/api/v1/carts/${this.id}/lines`, { method: 'POST', body: { store, sku, quantity } }));
    return this.data;
  }

  async setQuantity(lineId, quantity) {
    this._set(await api(`/api/v1/carts/${this.id}/lines/${lineId}`, { method: 'PATCH', body: { quantity } }));
  }

  async remove(lineId) {
    this._set(await api(`/api/v1/carts/${this.id}/lines/${lineId}`, { method: 'DELETE' }));
  }

  /** A live `cart` message: anything newer than what we hold (a gap or not) is re-read; so is a `resync`
   * (sent after the live bus came back), whatever its version, since changes may have been missed meanwhile. */
  onLive(msg) {
    if (!this.data || cartKey(msg.cart) !== cartKey(this.data.id)) return;
    if (msg.version > this.data.version || msg.change?.op === 'resync') this.refresh();
  }

  /** Check out with the prices shown; the Idempotency-Key makes a double click or a retry safe. */
  async checkout(fulfilment, paymentToken) {
    const data = this.data;
    const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const group = await api(`/api/v1/carts/${data.id}/checkout`, {
      method: 'POST', headers: { 'Idempotency-Key': key },
      body: {
        fulfilment, payment: { provider: 'test', token: paymentToken }, expected_total: data.total,
        expected_prices: data.lines.map((l) => ({ line: l.id, unit_price: l.unit_price })),
      },
    });
    this.lastGroup = group;
    this._forget(); // a checked-out cart is closed: the next add starts a new one
    this.dispatchEvent(new CustomEvent('checkout', { detail: group }));
    return group;
  }

  leave() { this._forget(); }
}

/** Cart ids are integers over REST; the live protocol may spell them "cart_7": compare the numbers. */
export function cartKey(id) { return String(id ?? '').replace(/^cart_/, ''); }

/** The payment methods the checkout offers (each has a test flow; see docs/API.md). */
export const PAYMENT_METHODS = ['card', 'kakaopay', 'naverpay', 'tosspay', 'transfer'];

/**
 * The checkout request for a cart (the 2D cart panel's and the VR menu's alike): the fulfilment, the payment,
 * and what the shopper was shown — the quoted total and each line's price — so the server refuses a checkout
 * whose prices moved since.
 */
export function checkoutBody(cartData, { fulfilment, method, token, total }) {
  return { fulfilment, payment: { provider: 'test', method, token }, expected_total: total,
    expected_prices: cartData.lines.map((l) => ({ line: l.id, unit_price: l.unit_price })) };
}
