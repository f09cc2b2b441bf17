// The store's orders (GET /stores/{s}/orders), newest first, with what it takes to fulfil each: who, their phone,
// the full address or the pickup slot, the items. Buttons move an order along its state machine (docs/API.md,
// "Orders"); new orders appear by themselves (polled every POLL_MS); a CSV export; and the store's shipping fees
// and opening hours (PUT /stores/{s}/fulfilment), from which pickup slots come. Problems are told in the console's
// language (shared/problems.js).

import { register, t } from '../shared/i18n.js';
import { money, number, showTime } from '../shared/format.js';
import { problemText } from '../shared/problems.js';
import { $, el, showNote, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';
import strings from './orders_strings.js';

register(strings);

const POLL_MS = 5000;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
// status → fulfilment type → the moves offered, in order (cancelling gives the stock back; the server refunds)
const MOVES = {
  paid: { pickup: ['ready_for_pickup', 'cancelled'], delivery: ['shipped', 'cancelled'] },
  ready_for_pickup: { pickup: ['completed', 'cancelled'] },
  shipped: { delivery: ['delivered', 'cancelled'] },
  delivered: { delivery: ['completed'] },
};
let poller = null;
let seen = null; // order ids and statuses last drawn, by store: a poll redraws only when something changed

function who(o) {
  const f = o.fulfilment || {};
  const person = f.type === 'delivery' ? f.address : f.contact;
  return el('div', { class: 'who' }, el('strong', {}, person?.name || o.buyer || '—'),
    person?.phone ? el('div', {}, el('a', { href: `tel:${person.phone.replace(/[^0-9+]/g, '')}` }, person.phone)) : null,
    person?.name && o.buyer && person.name !== o.buyer ? el('small', { class: 'muted' }, t('mo.buyer', { name: o.buyer })) : null);
}

function where(o, zone) {
  const f = o.fulfilment || {};
  if (f.type === 'pickup') {
    return el('div', {}, el('strong', {}, t('fulfil.pickup')), el('div', {}, showTime(f.slot, zone)));
  }
  const a = f.address || {};
  return el('div', {}, el('strong', {}, t('fulfil.delivery')),
    el('div', {}, [a.postal_code && `(${a.postal_code})`, a.line1, a.line2, a.city].filter(Boolean).join(' ')));
}

function actions(o) {
  const moves = MOVES[o.status]?.[o.fulfilment?.type] || [];
  return el('div', { class: 'row' }, moves.map((status) => el('button', {
    type: 'button', class: status === 'cancelled' ? 'danger' : '', dataset: { order: o.id, move: status },
  }, t(`mo.move.${status}`))));
}

function draw(ctx, orders) {
  const box = $('#orders');
  if (!orders.length) {
    box.replaceChildren(el('p', { class: 'muted', id: 'no-orders' }, t('orders.none')));
    return;
  }
  const zone = ctx.timeZone || 'Asia/Seoul';
  box.replaceChildren(table([[t('orders.id'), 'num'], t('orders.when'), t('orders.status'), t('mo.who'),
    t('orders.fulfilment'), t('orders.lines'), [t('orders.total'), 'num'], t('mo.actions')],
  orders.map((o) => el('tr', { dataset: { order: o.id, status: o.status } },
    el('td', { class: 'num' }, `#${o.id}`),
    el('td', {}, showTime(o.created_at, zone)),
    el('td', {}, el('span', { class: `badge ${o.status}` }, t(`order.${o.status}`))),
    el('td', {}, who(o)),
    el('td', {}, where(o, zone)),
    el('td', {}, el('ul', { class: 'items' }, o.lines.map((l) => el('li', {}, `${l.name} (${l.sku}) × ${number(l.quantity)}`)))),
    el('td', { class: 'num' }, money(o.total, o.currency),
      o.shipping_fee ? el('div', { class: 'muted' }, t('mo.shippingIn', { fee: money(o.shipping_fee, o.currency) })) : null),
    el('td', {}, actions(o)))), { id: 'orders-table' }));
}

async function fetchOrders(ctx) {
  return ((await ctx.api.get(`/api/v1/stores/${seg(ctx.slug)}/orders`)) || {}).orders || [];
}

export async function loadOrders(ctx) {
  const box = $('#orders');
  wire(ctx);
  let orders;
  try {
    orders = await fetchOrders(ctx);
  } catch (err) {
    showNote(box, problemText(err), 'warn');
    return;
  }
  seen = { slug: ctx.slug, key: orders.map((o) => `${o.id}:${o.status}`).join(',') };
  draw(ctx, orders);
  // The terms are read once per store: a re-read (after a status change, a language switch) would overwrite
  // what the merchant is typing.
  if (fulfilmentOf !== ctx.slug) { fulfilmentOf = ctx.slug; loadFulfilment(ctx); }
  if (!poller) poller = setInterval(() => poll(ctx), POLL_MS);
}

/** New orders and status changes appear without a click (only when the list changed: no flicker while reading). */
async function poll(ctx) {
  if (!ctx.slug || document.hidden) return;
  try {
    const orders = await fetchOrders(ctx);
    const key = orders.map((o) => `${o.id}:${o.status}`).join(',');
    if (seen && seen.slug === ctx.slug && seen.key === key) return;
    const before = new Set((seen?.slug === ctx.slug ? seen.key : '').split(',').map((k) => k.split(':')[0]));
    seen = { slug: ctx.slug, key };
    draw(ctx, orders);
    for (const o of orders) if (!before.has(String(o.id))) $(`#orders tr[data-order="${o.id}"]`)?.classList.add('new');
  } catch { /* the next round tries again */ }
}

let wired = false;
function wire(ctx) {
  if (wired) return;
  wired = true;
  $('#orders').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-move]');
    if (!button) return;
    const { order, move } = button.dataset;
    if (move === 'cancelled' && !confirm(t('mo.cancelAsk', { id: order }))) return;
    button.disabled = true;
    try {
      await ctx.api.post(`/api/v1/orders/${order}/status`, { status: move });
      await loadOrders(ctx);
    } catch (err) {
      showNote($('#orders-note'), problemText(err), 'warn');
      button.disabled = false;
    }
  });
  $('#orders-export').addEventListener('click', () => exportCsv(ctx));
  $('#fulfilment-form').addEventListener('submit', (event) => { event.preventDefault(); saveFulfilment(ctx); });
}

/** The CSV as the server wrote it (bytes, with its BOM), saved as a file. */
async function exportCsv(ctx) {
  const note = $('#orders-note');
  try {
    const response = await fetch(`/api/v1/stores/${seg(ctx.slug)}/orders.csv`, {
      headers: { Authorization: `Bearer ${ctx.api.token}` }, credentials: 'omit' });
    if (!response.ok) throw Object.assign(new Error('export'), { status: response.status, problem: await response.json().catch(() => ({})) });
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: `orders-${ctx.slug}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    showNote(note, t('mo.exported'));
  } catch (err) {
    showNote(note, problemText(err), 'warn');
  }
}

// ---------------------------------------------------------------- shipping fees and opening hours

function hoursText(intervals) {
  return intervals.map((i) => `${i.opens}-${i.closes}`).join(', ');
}

function parseHours(text) {
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [opens, closes] = part.split('-').map((x) => x.trim());
    return { opens, closes };
  });
}

function parseAreas(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [range, surcharge] = line.split(/\s+/);
    const [first, last] = range.split('-');
    return { first, last: last || first, surcharge: Number(surcharge) };
  });
}

let fulfilmentOf = null; // the store whose terms the form shows

/** Fill the form with the store's terms; it cannot be saved until they are in (data-state: loading → ready). */
async function loadFulfilment(ctx) {
  const form = $('#fulfilment-form');
  form.dataset.state = 'loading';
  form.querySelector('button[type=submit]').disabled = true;
  try {
    const f = await ctx.api.get(`/api/v1/stores/${seg(ctx.slug)}/fulfilment`);
    form.flat_fee.value = f.shipping.flat_fee;
    form.free_over.value = f.shipping.free_over ?? '';
    form.remote.value = f.shipping.remote_areas.map((a) => `${a.first}-${a.last} ${a.surcharge}`).join('\n');
    for (const day of DAYS) form[`hours_${day}`].value = hoursText(f.opening_hours[day] || []);
    $('#fulfilment-zone').textContent = t('mo.zone', { zone: f.time_zone });
    form.dataset.state = 'ready';
    form.querySelector('button[type=submit]').disabled = false;
  } catch (err) {
    // Not saveable: saving the form's defaults would overwrite terms we could not read. The next load retries.
    showNote($('#fulfilment-note'), problemText(err), 'warn');
    fulfilmentOf = null;
  }
}

async function saveFulfilment(ctx) {
  const form = $('#fulfilment-form');
  const note = $('#fulfilment-note');
  const free = form.free_over.value.trim();
  const body = {
    shipping: { flat_fee: Number(form.flat_fee.value || 0), free_over: free === '' ? null : Number(free),
      remote_areas: parseAreas(form.remote.value) },
    opening_hours: Object.fromEntries(DAYS.map((day) => [day, parseHours(form[`hours_${day}`].value)])),
  };
  try {
    await ctx.api.put(`/api/v1/stores/${seg(ctx.slug)}/fulfilment`, body);
    showNote(note, t('mo.saved'));
  } catch (err) {
    showNote(note, problemText(err), 'warn');
  }
}
