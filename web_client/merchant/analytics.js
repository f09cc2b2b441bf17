// The merchant's analytics of the open store: its funnel over the last 24 hours beside the 24 hours before,
// top and flop products, the heat map PNG over its floor plan (zone labels drawn in) dwell per zone, and the
// searches in the store that found nothing (consoles/misses.js).
// Numbers made by fewer than 5 shoppers come back as null (the server's privacy rule) and show as "—".

import { t } from '../shared/i18n.js';
import { number } from '../shared/format.js';
import { ApiError, seg } from '../shared/api.js';
import { $, el, showProblem, table } from '../consoles/ui.js';
import { showMisses } from '../consoles/misses.js';

let heatUrl = null;

function day() {
  return { since: new Date(Date.now() - 24 * 3600 * 1000).toISOString(), bucket: 'hour' };
}

const shown = (v) => (v === null || v === undefined ? '—' : number(v));
const percent = (v) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);

function bar(cls, count, top) {
  const node = el('div', { class: cls });
  node.style.width = `${((count || 0) * 100) / top}%`; // CSSOM, not a style attribute: the CSP allows it
  return node;
}

function renderFunnel(funnel) {
  const top = Math.max(1, ...funnel.stages.map((s) => s.count || 0), ...(funnel.previous || []).map((s) => s.count || 0));
  const rows = [];
  funnel.stages.forEach((s, i) => {
    const before = funnel.previous ? funnel.previous[i] : null;
    rows.push(el('span', { dataset: { stage: s.stage } }, t(`an.stage.${s.stage}`)),
      el('div', {}, bar('bar', s.count, top), before ? bar('bar previous', before.count, top) : ''),
      el('span', { class: 'num', dataset: { count: s.stage } }, shown(s.count),
        before ? el('small', { class: 'muted' }, ` (${shown(before.count)})`) : ''),
      el('span', { class: 'num muted' }, i ? percent(s.rate) : ''));
  });
  return el('div', { class: 'funnel', id: 'funnel' }, ...rows);
}

function productTable(list, id) {
  if (!list.length) return el('p', { class: 'muted', id }, t('an.none'));
  return table([t('products.sku'), [t('an.views'), 'num'], [t('an.panels'), 'num'], [t('an.adds'), 'num'],
    [t('an.sold'), 'num'], [t('an.conversion'), 'num']], list.map((p) => el('tr', { dataset: { sku: p.sku } },
    el('td', {}, el('code', {}, p.sku)), el('td', { class: 'num' }, number(p.views)),
    el('td', { class: 'num' }, number(p.panels)), el('td', { class: 'num' }, number(p.adds)), el('td', { class: 'num' }, number(p.sold)),
    el('td', { class: 'num' }, percent(p.conversion)))), { id });
}

async function heatmapImage(ctx) {
  const query = new URLSearchParams(day()).toString();
  const response = await fetch(`/api/v1/stores/${seg(ctx.slug)}/analytics/heatmap.png?${query}`, {
    headers: { Authorization: `Bearer ${ctx.api.token}` }, credentials: 'omit',
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null)); // its problem, localized
  if (heatUrl) URL.revokeObjectURL(heatUrl);
  heatUrl = URL.createObjectURL(await response.blob());
  const img = el('img', { class: 'heatmap', id: 'heatmap-img', alt: t('an.heatmap') });
  img.addEventListener('load', () => { img.dataset.state = 'ready'; });
  img.src = heatUrl;
  return img;
}

/** Load and draw the open store's analytics. */
export async function loadAnalytics(ctx) {
  const out = $('#analytics-out');
  out.replaceChildren();
  if (!ctx.slug) return;
  const base = `/api/v1/stores/${seg(ctx.slug)}/analytics`;
  // Its own problem box: the searches that found nothing do not wait for (or fail with) the rest.
  showMisses(ctx.api, `/api/v1/stores/${seg(ctx.slug)}/search/misses`, $('#analytics-misses'), 'misses-table');
  try {
    const [funnel, products, heat] = await Promise.all([
      ctx.api.get(`${base}/funnel`, { query: { ...day(), compare: 'true' } }),
      ctx.api.get(`${base}/products`, { query: day() }),
      ctx.api.get(`${base}/heatmap`, { query: day() }),
    ]);
    $('#analytics-funnel').replaceChildren(renderFunnel(funnel));
    $('#analytics-top').replaceChildren(productTable(products.by_views, 'top-products'));
    $('#analytics-flop').replaceChildren(productTable(products.looked_not_bought, 'flop-products'));
    $('#analytics-zones').replaceChildren(heat.zones.length
      ? table([t('an.zone'), [t('an.seconds'), 'num'], [t('an.share'), 'num']], heat.zones.map((z) => el('tr', {},
        el('td', {}, z.name), el('td', { class: 'num' }, shown(z.seconds)), el('td', { class: 'num' }, percent(z.share)))),
      { id: 'zones-table' })
      : el('p', { class: 'muted' }, t('an.noZones')));
    $('#analytics-heat').replaceChildren(await heatmapImage(ctx));
    $('#analytics-card').dataset.state = 'ready';
  } catch (err) {
    showProblem(out, err);
  }
}

export function wireAnalytics(ctx) {
  $('#analytics-refresh').addEventListener('click', () => loadAnalytics(ctx));
}
