// The organizer's first screen: live tiles from the server's event stream (GET …/analytics/live, one frame a
// second, read with fetch so that the bearer token goes along), time-series charts (uPlot, served from
// node_modules under /vendor/uplot/), the store table with sparklines and sorting, the alerts list, and the
// festival's searches that found nothing (consoles/misses.js).
// Charts and the table come from GET …/analytics (minute buckets, the last two hours), refreshed every 30 s.

import uPlot from '/vendor/uplot/uPlot.esm.js';
import { lang, t } from '../shared/i18n.js';
import { money, number } from '../shared/format.js';
import { seg } from '../shared/api.js';
import { $, el, showProblem, table } from '../consoles/ui.js';
import { showMisses } from '../consoles/misses.js';

const OVERVIEW_EVERY_MS = 30000;
const RECONNECT_MS = 2000;
const TARGET_KEY = 'vrstore.organizer.revenueTarget';
const SORTS = ['store', 'entries', 'views', 'adds', 'orders', 'revenue'];

const state = { tiles: null, overview: null, sort: { key: 'entries', desc: true }, charts: [] };

// ------------------------------------------------------------ live tiles (server-sent events over fetch)

/** Read `text/event-stream` frames from a fetch body; calls `onEvent(name, data)` for each. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

function tile(key, label, value, extra = null) {
  return el('div', { class: 'tile', dataset: { tile: key } }, el('span', {}, label), el('strong', {}, value),
    extra ? el('small', { class: 'muted' }, extra) : '');
}

export function renderTiles() {
  const s = state.tiles;
  if (!s) return;
  const target = Number(localStorage.getItem(TARGET_KEY) || 0);
  const share = target > 0 ? `${Math.round((100 * s.revenue) / target)}% / ${money(target, s.currency)}` : null;
  $('#tiles').replaceChildren(
    tile('visitors', t('dash.visitors'), number(s.visitors)),
    tile('queue', t('dash.queue'), number(s.queue)),
    tile('orders-per-min', t('dash.ordersPerMin'), number(s.orders_last_minute)),
    tile('orders', t('dash.orders'), number(s.orders)),
    tile('revenue', t('dash.revenue'), money(s.revenue, s.currency), share),
    tile('build-failures', t('dash.buildFailures'), number(s.build_failures)),
    tile('health', t('dash.health'), t(`dash.level.${s.health.level}`),
      `${s.health.worker} · ${t('dash.pressure')} ${s.health.pressure.toFixed(2)}`));
  const tiles = $('#tiles');
  tiles.dataset.frames = String(Number(tiles.dataset.frames || 0) + 1);
  renderAlerts();
}

function renderAlerts() {
  const alerts = state.tiles ? state.tiles.alerts : [];
  $('#alerts').replaceChildren(...(alerts.length
    ? alerts.map((a) => el('li', { class: `alert ${a.kind}`, dataset: { alert: a.kind } },
      t(`dash.alert.${a.kind}`, { store: a.store || '' })))
    : [el('li', { class: 'muted' }, t('dash.alert.none'))]));
}

/** Follow the live stream until `stop()`; reconnects after a pause when it ends or fails. */
function followTiles(ctx) {
  let stopped = false;
  let controller = null;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch(`/api/v1/festivals/${seg(ctx.slug)}/analytics/live`, {
          headers: { Authorization: `Bearer ${ctx.api.token}`, Accept: 'text/event-stream', 'Accept-Language': lang() },
          credentials: 'omit', signal: controller.signal,
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        $('#dash-out').replaceChildren();
        await readEvents(response, (name, data) => {
          if (name === 'tiles') {
            state.tiles = data;
            renderTiles();
          }
        });
      } catch (err) {
        if (stopped) return;
        $('#dash-out').replaceChildren(el('p', { class: 'muted' }, t('dash.reconnecting')));
      }
      if (!stopped) await new Promise((resolve) => { setTimeout(resolve, RECONNECT_MS); });
    }
  };
  run();
  return () => { stopped = true; if (controller) controller.abort(); };
}

// ------------------------------------------------------------ charts

function chart(target, title, values, times, colour) {
  const width = Math.max(240, Math.min(640, target.clientWidth || 360));
  const opts = {
    title, width, height: 180,
    scales: { x: { time: true } },
    series: [{}, { label: title, stroke: colour, fill: `${colour}22`, width: 2, spanGaps: false }],
    axes: [{ space: 90 }, { size: 84 }],
  };
  return new uPlot(opts, [times, values], target);
}

export function renderCharts() {
  const o = state.overview;
  if (!o) return;
  for (const c of state.charts) c.destroy();
  const times = o.series.map((p) => Date.parse(p.t) / 1000);
  const pick = (key) => o.series.map((p) => (p[key] === null ? null : p[key]));
  const box = $('#charts');
  box.replaceChildren();
  const specs = [['visitors', t('dash.visitors'), '#1c7ed6'], ['orders', t('dash.ordersPerMin'), '#2f9e44'],
    ['revenue', t('dash.revenue'), '#e8590c']];
  // Every holder first, so that each chart is sized to its share of the row.
  const holders = specs.map(([key]) => el('div', { class: 'chart', dataset: { chart: key } }));
  box.append(...holders);
  state.charts = specs.map(([, title, colour], i) => chart(holders[i], title, pick(specs[i][0]), times, colour));
  box.dataset.state = 'ready';
}

// ------------------------------------------------------------ store table with sparklines

function sparkline(values) {
  const canvas = el('canvas', { class: 'spark', width: '120', height: '28' });
  const g = canvas.getContext('2d');
  const shown = values.map((v) => v || 0);
  const top = Math.max(1, ...shown);
  g.strokeStyle = '#1c7ed6';
  g.lineWidth = 1.5;
  g.beginPath();
  shown.forEach((v, i) => {
    const x = shown.length > 1 ? (i * 118) / (shown.length - 1) + 1 : 60;
    const y = 26 - (v * 24) / top;
    if (i) g.lineTo(x, y); else g.moveTo(x, y);
  });
  g.stroke();
  return canvas;
}

export function renderStoreTable() {
  const o = state.overview;
  if (!o) return;
  const { key, desc } = state.sort;
  const rows = [...o.top_stores].sort((a, b) => {
    const d = key === 'store' ? a.store.localeCompare(b.store) : a[key] - b[key];
    return desc ? -d : d;
  });
  if (!rows.length) {
    $('#dash-stores').replaceChildren(el('p', { class: 'muted' }, t('dash.noStores')));
    return;
  }
  const head = (k, label) => {
    const mark = key === k ? (desc ? ' ▼' : ' ▲') : '';
    return [el('button', { type: 'button', class: 'link', dataset: { sort: k } }, label + mark), k === 'store' ? '' : 'num'];
  };
  const built = table([head('store', t('store.name')), [t('dash.trend'), ''], head('entries', t('dash.entries')),
    head('views', t('dash.views')), head('adds', t('dash.adds')), head('orders', t('dash.orders')),
    head('revenue', t('dash.revenue'))], rows.map((r) => el('tr', { dataset: { store: r.store } },
    el('td', {}, el('code', {}, r.store)), el('td', {}, sparkline(r.trend)),
    el('td', { class: 'num', dataset: { col: 'entries' } }, number(r.entries)),
    el('td', { class: 'num' }, number(r.views)), el('td', { class: 'num' }, number(r.adds)),
    el('td', { class: 'num' }, number(r.orders)), el('td', { class: 'num' }, money(r.revenue, o.currency)))),
  { id: 'dash-store-table' });
  $('#dash-stores').replaceChildren(built);
}

async function refreshOverview(ctx) {
  showMisses(ctx.api, `/api/v1/festivals/${seg(ctx.slug)}/search/misses`, $('#dash-misses'), 'festival-misses');
  const since = new Date(Date.now() - 2 * 3600 * 1000).toISOString();
  try {
    state.overview = await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}/analytics`,
      { query: { since, bucket: 'minute' } });
  } catch (err) {
    showProblem($('#dash-out'), err);
    return;
  }
  renderCharts();
  renderStoreTable();
}

/** Start the dashboard; returns a function that stops its stream and timer. */
export function startDashboard(ctx) {
  const stopTiles = followTiles(ctx);
  refreshOverview(ctx);
  const timer = setInterval(() => { if (!document.hidden) refreshOverview(ctx); }, OVERVIEW_EVERY_MS);
  return () => { stopTiles(); clearInterval(timer); };
}

export function relabelDashboard() {
  renderTiles();
  renderCharts();
  renderStoreTable();
}

export function wireDashboard(ctx) {
  $('#dash-stores').addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-sort]');
    if (!button || !SORTS.includes(button.dataset.sort)) return;
    const k = button.dataset.sort;
    state.sort = { key: k, desc: state.sort.key === k ? !state.sort.desc : k !== 'store' };
    renderStoreTable();
  });
  const input = $('#revenue-target');
  input.value = localStorage.getItem(TARGET_KEY) || '';
  input.addEventListener('change', () => {
    const v = Math.max(0, Math.round(Number(input.value) || 0));
    if (v) localStorage.setItem(TARGET_KEY, String(v)); else localStorage.removeItem(TARGET_KEY);
    renderTiles();
  });
  $('#csv-link').addEventListener('click', async (ev) => {
    ev.preventDefault();
    try {
      const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
      const { data } = await ctx.api.request('GET', `/api/v1/festivals/${seg(ctx.slug)}/analytics.csv`,
        { query: { since, bucket: 'hour' }, headers: { Accept: 'text/csv' } });
      const url = URL.createObjectURL(new Blob([data], { type: 'text/csv' }));
      const a = el('a', { href: url, download: `${ctx.slug}-analytics.csv` });
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      showProblem($('#dash-out'), err);
    }
  });
}
