// Checkout from inside VR: the same REST calls the 2D cart panel (cartview.js) makes — the quote for the chosen
// fulfilment, the pickup slots the stores offer, and POST /checkout with an Idempotency-Key, the quoted total
// and the shown unit prices — with the fulfilment taken from the 2D checkout form the shopper filled before
// (their saved address; nothing can be typed in the headset) or a pickup slot chosen in VR. The test provider's
// approval page is the wrist menu's own approve/decline step (the DOM dialog is invisible in a session).
// After paying, the cart is re-read: cartview.js then shows the receipt and follows the group to its new cart,
// exactly as when a friend pays.
import { checkoutBody } from './cart.js';
import { api } from './net.js';

export { PAYMENT_METHODS as METHODS } from './cart.js';
export const APPROVE = 'tok_approve';
export const DECLINE = 'tok_decline';
const ADDRESS = ['name', 'phone', 'line1', 'city', 'postal_code'];

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

/** The delivery address in the 2D checkout form, or null when a required field is empty or invalid. */
export function savedAddress(form) {
  if (!form) return null;
  const address = {};
  for (const k of ADDRESS) {
    const input = form.elements.namedItem(k);
    const value = input?.value?.trim() ?? '';
    if (!value || (input.checkValidity && !input.checkValidity())) return null;
    address[k] = value;
  }
  const line2 = form.elements.namedItem('line2')?.value?.trim();
  if (line2) address.line2 = line2;
  return address;
}

/** Who collects a pickup: the form's pickup contact, else the delivery name and phone, else nobody named. */
export function pickupContact(form) {
  const value = (k) => form?.elements.namedItem(k)?.value?.trim() ?? '';
  const name = value('pickup_name') || value('name');
  const phone = value('pickup_phone') || value('phone');
  return name && phone ? { name, phone } : null;
}

/** The fulfilment body for a choice {type: 'delivery', address} or {type: 'pickup', slot, contact}. */
export function fulfilmentOf(choice) {
  if (choice.type === 'delivery') return { type: 'delivery', address: choice.address };
  const body = { type: 'pickup', slot: choice.slot };
  if (choice.contact) body.contact = choice.contact;
  return body;
}

/** The server's quote (goods, shipping per store, total) for the cart and fulfilment. */
export function quote(cartData, choice) {
  let query = `type=${choice.type}`;
  if (choice.type === 'delivery' && choice.address?.postal_code) query += `&postal_code=${encodeURIComponent(choice.address.postal_code)}`;
  return api(`/api/v1/carts/${cartData.id}/quote?${query}`);
}

/** The pickup slots the cart's stores offer over the next week: {time_zone, slots: [iso, ...]}. */
export function pickupSlots(cartData) {
  return api(`/api/v1/carts/${cartData.id}/pickup_slots?days=7`);
}

/** Pay: one attempt, one key (a retry of this request is replayed, never charged twice). Returns the order group. */
export async function pay(cart, { choice, method, token, total }) {
  const data = cart.data;
  const group = await api(`/api/v1/carts/${data.id}/checkout`, {
    method: 'POST', headers: { 'Idempotency-Key': newKey() },
    body: checkoutBody(data, { fulfilment: fulfilmentOf(choice), method, token, total }),
  });
  cart.lastGroup = group;
  cart.dispatchEvent(new CustomEvent('checkout', { detail: group }));
  cart.refresh().catch(() => {}); // the checked-out cart: the cart panel follows the group to its next cart
  return group;
}
