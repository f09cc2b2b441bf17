// The store's orders (GET /stores/{s}/orders), newest first; a friendly note when there are none.

import { t } from '../shared/i18n.js';
import { money, number, showTime } from '../shared/format.js';
import { $, el, showNote, showProblem, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

function fulfilment(f, zone) {
  if (!f || !f.type) return '—';
  if (f.type === 'pickup') return `${t('fulfil.pickup')}${f.slot ? ` · ${showTime(f.slot, zone)}` : ''}`;
  if (f.type === 'delivery') return `${t('fulfil.delivery')}${f.address ? ` · ${f.address.city}` : ''}`;
  return f.type;
}

export async function loadOrders(ctx) {
  const box = $('#orders');
  let data;
  try {
    data = await ctx.api.get(`/api/v1/stores/${seg(ctx.slug)}/orders`);
  } catch (err) {
    if (err.status === 404 && !/store/i.test(err.detail || '')) {
      showNote(box, t('orders.unavailable'), 'info');
    } else {
      showProblem(box, err);
    }
    return;
  }
  const orders = (data && data.orders) || [];
  if (!orders.length) {
    box.replaceChildren(el('p', { class: 'muted', id: 'no-orders' }, t('orders.none')));
    return;
  }
  const zone = ctx.timeZone || 'Asia/Seoul';
  box.replaceChildren(table([[t('orders.id'), 'num'], t('orders.when'), t('orders.status'), t('orders.lines'),
    t('orders.fulfilment'), [t('orders.total'), 'num']], orders.map((o) => el('tr', { dataset: { order: o.id } },
    el('td', { class: 'num' }, `#${o.id}`),
    el('td', {}, showTime(o.created_at, zone)),
    el('td', {}, el('span', { class: `badge ${o.status}` }, t(`order.${o.status}`))),
    el('td', {}, o.lines.map((l) => `${l.name} × ${number(l.quantity)}`).join(', ')),
    el('td', {}, fulfilment(o.fulfilment, zone)),
    el('td', { class: 'num' }, money(o.total, o.currency)))), { id: 'orders-table' }));
}
