// The live dashboard: GET /festivals/{f}/stats every few seconds (visitors, builds, orders, sales).

import { pick, t } from '../shared/i18n.js';
import { clockTime, money, number } from '../shared/format.js';
import { $, el, showProblem, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

export const REFRESH_MS = 3000;

export function renderStats(ctx) {
  const s = ctx.stats;
  if (!s) return;
  $('#totals').replaceChildren(
    el('div', { dataset: { total: 'visitors' } }, t('stats.visitors'), el('strong', {}, number(s.visitors))),
    el('div', { dataset: { total: 'orders' } }, t('stats.orders'), el('strong', {}, number(s.orders))),
    el('div', { dataset: { total: 'revenue' } }, t('stats.revenue'), el('strong', {}, money(s.revenue, s.currency))));
  if (!s.stores.length) {
    $('#stats').replaceChildren(el('p', { class: 'muted' }, t('stats.none')));
    return;
  }
  const cell = (col, value, cls = 'num') => el('td', { class: cls, dataset: { col } }, value);
  $('#stats').replaceChildren(table([t('store.name'), t('store.status'), t('stats.build'), [t('stats.visitors'), 'num'],
    [t('stats.orders'), 'num'], [t('stats.revenue'), 'num']], s.stores.map((row) => el('tr', { dataset: { store: row.slug } },
    el('td', {}, pick(row.name), ' ', el('code', {}, row.slug)),
    cell('status', el('span', { class: `badge ${row.status}` }, t(`status.${row.status}`)), ''),
    cell('build', row.build ? el('span', { class: `badge ${row.build}` }, t(`status.${row.build}`)) : '—', ''),
    cell('visitors', number(row.visitors)),
    cell('orders', number(row.orders)),
    cell('revenue', money(row.revenue, s.currency)))), { id: 'stats-table' }));
}

function storesKey(stores) {
  return (stores || []).map((s) => `${s.slug}:${s.status}`).join(',');
}

export async function refreshStats(ctx) {
  const before = storesKey(ctx.stats && ctx.stats.stores);
  try {
    ctx.stats = await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}/stats`);
  } catch (err) {
    showProblem($('#stats-out'), err);
    return;
  }
  $('#stats-out').replaceChildren();
  renderStats(ctx);
  const stamp = $('#stats-updated');
  stamp.textContent = clockTime(Date.now(), ctx.festival ? ctx.festival.timezone : undefined);
  stamp.dataset.count = String(Number(stamp.dataset.count || 0) + 1);
  // A store opened or changed status elsewhere: the store list follows.
  if (before && before !== storesKey(ctx.stats.stores)) ctx.onStoresChanged();
}

/** Poll until `stop()`; a chain of timeouts so a slow answer never stacks requests. */
export function startStats(ctx) {
  let timer = null;
  let stopped = false;
  let running = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    clearTimeout(timer);
    try {
      // A hidden tab does not poll; it catches up the moment it is shown again.
      if (!document.hidden) await Promise.all([refreshStats(ctx), ctx.pollAlso ? ctx.pollAlso() : null]);
    } finally {
      running = false;
    }
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  };
  const onShow = () => { if (!document.hidden && !stopped) tick(); };
  document.addEventListener('visibilitychange', onShow);
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onShow);
  };
}
