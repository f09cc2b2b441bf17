// Builds: POST /stores/{s}/builds → 202 + Location, then poll GET /builds/{id} every 500 ms until it ends.

import { t } from '../shared/i18n.js';
import { bytes, number } from '../shared/format.js';
import { $, busy, el, showProblem, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

const POLL_MS = 500;
let generation = 0; // a newer build or another store stops an older poll loop

function setProgress(build) {
  const bar = $('#build-progress');
  bar.dataset.status = build ? build.status : '';
  const percent = build ? build.progress : 0;
  bar.setAttribute('aria-valuenow', String(percent));
  bar.querySelector('.bar').style.width = `${percent}%`;
  $('#build-status').textContent = build
    ? `${t(`status.${build.status}`)} · ${percent}%${build.step && build.status === 'running' ? ` · ${build.step}` : ''}`
    : '';
}

function renderReport(build) {
  const box = $('#build-report');
  const r = build.report;
  if (!r) {
    box.replaceChildren();
    return;
  }
  const rows = [
    ['draw_calls', number(r.draw_calls)], ['triangles', number(r.triangles)], ['bytes', bytes(r.bytes)],
    ['nodes', number(r.nodes)], ['placed', number(r.products_placed)], ['unplaced', number(r.products_unplaced)],
    ['seconds', r.seconds],
  ];
  const parts = [el('h3', {}, t('build.report')), el('table', { id: 'build-report-table', class: 'kv' }, el('tbody', {},
    rows.map(([key, value]) => el('tr', { dataset: { field: key } }, el('th', {}, t(`build.${key}`)),
      el('td', { class: 'num' }, value)))))];
  if (r.warnings && r.warnings.length) {
    parts.push(el('div', { class: 'note note-warn' }, `${t('build.warnings')}: `, r.warnings.join(' · ')));
  }
  box.replaceChildren(...parts);
}

/** The manifest's unplaced products (with reasons) under the report, once the scene is known. */
export function renderUnplaced(manifest) {
  const old = $('#unplaced-table');
  if (old) old.remove();
  const list = manifest && manifest.unplaced;
  if (!list || !list.length) return;
  $('#build-report').append(table([t('products.sku'), t('build.reason')],
    list.map((u) => el('tr', {}, el('td', {}, el('code', {}, u.sku)), el('td', {}, u.reason))), { id: 'unplaced-table' }));
}

async function poll(ctx, location, mine) {
  for (;;) {
    const build = await ctx.api.get(location);
    if (mine !== generation) return null;
    setProgress(build);
    if (build.status === 'succeeded' || build.status === 'failed') return build;
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    if (mine !== generation) return null;
  }
}

export function wireBuild(ctx) {
  const button = $('#start-build');
  button.addEventListener('click', () => {
    const out = $('#build-out');
    busy(button, out, async () => {
      const mine = ++generation;
      const response = await ctx.api.post(`/api/v1/stores/${seg(ctx.slug)}/builds`);
      const location = response.headers.get('Location') || `/api/v1/builds/${response.data.id}`;
      setProgress(response.data);
      $('#build-report').replaceChildren();
      const build = await poll(ctx, location, mine);
      if (!build) return;
      ctx.lastBuild = build;
      renderReport(build);
      if (build.status === 'failed') {
        showProblem(out, { title: t('status.failed'), detail: t('build.failed', { error: build.error || '?' }) });
        return;
      }
      await ctx.reloadStore();
    });
  });
}

/** A new store is open: forget the old build's progress. */
export function resetBuild() {
  generation++;
  setProgress(null);
  $('#build-report').replaceChildren();
  $('#build-out').replaceChildren();
}

export function refreshBuildLabels(ctx) {
  if (ctx.lastBuild) {
    setProgress(ctx.lastBuild);
    renderReport(ctx.lastBuild);
    renderUnplaced(ctx.manifest);
  }
}
