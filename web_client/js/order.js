// The order page, /orders/{group}: a stable address for an order group (it survives a reload), with its items,
// the order of each store and its status, how it is fulfilled, how it was paid, and the session's order history.
// Statuses follow live (GET /api/v1/order_groups/{g}/events). It prints as a receipt (css/checkout.css, @media print).
import { money, showTime } from '../shared/format.js';
import { applyDom, lang, onLangChange, pick, register, t } from '../shared/i18n.js';
import { el } from '../shared/dom.js';
import { problemText } from '../shared/problems.js';
import strings from './checkout_strings.js';
import { langToggle } from './locale.js';
import { api } from './net.js';

register(strings);

const $ = (sel, root = document) => root.querySelector(sel);
const groupId = Number(location.pathname.split('/').filter(Boolean).pop());
const state = { group: null, history: null, me: null, zone: 'Asia/Seoul', live: false };

/** A short message at the foot of the page (ui.js has one too, but it brings the 3D store along). */
function toast(text, ms = 3000) {
  const box = $('#toast');
  box.textContent = text;
  box.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.classList.remove('show'); box.textContent = ''; }, ms);
}

function fulfilmentText(f) {
  if (f.type === 'pickup') {
    const where = f.store ? ` ${t('op.pickupAt', { store: storeLabel(f.store) })}` : '';
    return t('op.pickup', { when: showTime(f.slot, state.zone) }) + where;
  }
  const a = f.address;
  return t('op.delivery', { name: a.name, phone: a.phone,
    address: [a.postal_code && `(${a.postal_code})`, a.line1, a.line2, a.city].filter(Boolean).join(' ') });
}

function storeLabel(slug) {
  const order = state.group?.orders.find((o) => o.store === slug);
  return pick(order?.store_name) || slug;
}

function renderGroup() {
  const g = state.group;
  const box = $('#order');
  if (!g) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.group = g.id;
  $('.number', box).textContent = t('op.number', { id: g.id });
  $('.placed', box).textContent = t('op.placed', { when: showTime(g.created_at, state.zone) });
  $('.paid-by', box).textContent = t('op.paidBy', { name: g.buyer?.name || '' });
  $('.payment', box).textContent = t('op.payment', { method: t(`pay.${g.payment.method}`),
    status: t(`op.capture.${g.payment.status}`) });
  $('.fulfilment', box).textContent = fulfilmentText(g.fulfilment);
  const buyer = state.me !== null && g.buyer?.session === state.me;
  $('.stores', box).replaceChildren(...g.orders.map((o) => el('section', { class: 'store-order', dataset: { order: o.id, status: o.status } },
    el('h2', {}, `${pick(o.store_name) || o.store} · #${o.id} `, el('span', { class: `badge ${o.status}` }, t(`status.${o.status}`))),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, t('op.item')), el('th', { class: 'num' }, t('op.qty')),
        el('th', { class: 'num' }, t('op.unit')), el('th', { class: 'num' }, t('op.amount')))),
      el('tbody', {}, ...o.lines.map((l) => el('tr', {}, el('td', {}, l.name, el('small', {}, ` ${l.sku}`)),
        el('td', { class: 'num' }, String(l.quantity)), el('td', { class: 'num' }, money(l.unit_price, o.currency)),
        el('td', { class: 'num' }, money(l.line_total, o.currency))))),
      el('tfoot', {},
        el('tr', {}, el('td', { colspan: 3 }, t('op.shipping')), el('td', { class: 'num' }, money(o.shipping_fee || 0, o.currency))),
        el('tr', {}, el('th', { colspan: 3 }, t('op.storeTotal')), el('th', { class: 'num' }, money(o.total, o.currency))))),
    buyer && o.status === 'paid' ? el('button', { class: 'btn cancel no-print', dataset: { order: o.id } }, t('op.cancel')) : null)));
  $('.grand', box).textContent = `${t('op.total')} ${money(g.total, g.currency)}`;
  document.title = `${t('op.title')} #${g.id} — vrstore`;
}

function renderHistory() {
  const list = $('#history .groups');
  const groups = state.history?.groups || [];
  if (!groups.length) { list.replaceChildren(el('li', { class: 'muted' }, t('op.noHistory'))); return; }
  list.replaceChildren(...groups.map((g) => el('li', { dataset: { group: g.id }, class: g.id === groupId ? 'current' : null },
    el('a', { href: `/orders/${g.id}` }, `#${g.id}`), ' ',
    t('op.historyLine', { when: showTime(g.created_at, state.zone), total: money(g.total, g.currency),
      stores: g.orders.map((o) => pick(o.store_name) || o.store).join(', ') }),
    ' ', ...g.orders.map((o) => el('span', { class: `badge ${o.status}` }, t(`status.${o.status}`))))));
}

function setLive(on) {
  state.live = on;
  const live = $('#live');
  live.textContent = on ? t('op.live') : t('op.offline');
  live.dataset.state = on ? 'open' : 'closed';
}

function listen() {
  // EventSource reconnects by itself (the server says retry: 2000); each message is the whole group as it is now.
  const source = new EventSource(`/api/v1/order_groups/${groupId}/events`);
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => setLive(false));
  source.addEventListener('group', (e) => {
    state.group = JSON.parse(e.data);
    state.zone = state.group.time_zone || state.zone;
    renderGroup();
    loadHistory();
  });
}

async function loadHistory() {
  try {
    state.history = await api('/api/v1/order_groups?limit=20');
    renderHistory();
  } catch { /* the history is a convenience: the order itself is what the page is for */ }
}

async function cancel(button) {
  if (!confirm(t('op.cancelAsk'))) return;
  button.disabled = true;
  try {
    await api(`/api/v1/orders/${button.dataset.order}/cancel`, { method: 'POST' });
    toast(t('op.cancelled'));
    state.group = await api(`/api/v1/order_groups/${groupId}`);
    renderGroup();
  } catch (err) {
    toast(problemText(err), 5000);
    button.disabled = false;
  }
}

async function start() {
  document.documentElement.lang = lang();
  applyDom(document);
  langToggle($('#lang'));
  onLangChange(() => { renderGroup(); renderHistory(); setLive(state.live); });
  $('#print').addEventListener('click', () => print());
  $('#order').addEventListener('click', (e) => {
    const button = e.target.closest('button.cancel');
    if (button) cancel(button);
  });
  try {
    const me = await api('/api/v1/sessions/current');
    state.me = me?.session?.id ?? null;
  } catch { state.me = null; }
  try {
    state.group = await api(`/api/v1/order_groups/${groupId}`);
  } catch (err) {
    const problem = $('#problem');
    problem.textContent = err.status === 404 || err.status === 401 || err.status === 403 ? t('op.notFound') : problemText(err);
    problem.hidden = false;
    await loadHistory();
    document.body.dataset.ready = 'true';
    return;
  }
  state.zone = state.group.time_zone || state.zone;
  renderGroup();
  await loadHistory();
  listen();
  document.body.dataset.ready = 'true';
}

start();
