// Catalog upload (PUT /stores/{s}/catalog, raw file body) and its import report.

import { t } from '../shared/i18n.js';
import { number } from '../shared/format.js';
import { $, busy, el, problemBox, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

// Browsers often give CSV/TSV files an empty or odd type; the server wants one it knows.
function catalogType(file, format) {
  const name = file.name.toLowerCase();
  if (format === 'json' || name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.tsv')) return 'text/tab-separated-values';
  if (name.endsWith('.csv') || ['csv', 'shopify', 'korean'].includes(format)) return 'text/csv';
  return 'application/octet-stream';
}

export function renderReport(report) {
  const fields = ['format', 'encoding', 'rows_read', 'imported', 'rejected', 'deactivated'];
  const summary = el('table', { id: 'import-report', class: 'kv' },
    el('tbody', {}, fields.map((f) => el('tr', { dataset: { field: f } },
      el('th', {}, t(`report.${f}`)),
      el('td', { class: typeof report[f] === 'number' ? 'num' : '' },
        typeof report[f] === 'number' ? number(report[f]) : report[f])))));
  const parts = [el('h3', {}, t('catalog.report')), summary];
  if (report.errors.length) {
    parts.push(el('h3', {}, t('catalog.rejectedRows')));
    parts.push(rejectedTable(report.errors));
  } else {
    parts.push(el('div', { class: 'note' }, t('catalog.allGood')));
  }
  return parts;
}

/** A 422 whose errors name rows ("row 7") is a report with nothing imported: show it as rejected rows too. */
function rowsOfProblem(err) {
  const rows = [];
  for (const e of err.errors || []) {
    const at = (e.loc || []).findIndex((part) => /^row \d+$/.test(String(part)));
    if (at < 0) return null;
    rows.push({ row: Number(String(e.loc[at]).slice(4)), column: e.loc[at + 1] ?? null, message: e.msg });
  }
  return rows.length ? rows : null;
}

function rejectedTable(rows) {
  return table([[t('row.row'), 'num'], t('row.column'), t('row.message')], rows.map((e) => el('tr', {},
    el('td', { class: 'num' }, e.row), el('td', {}, e.column ?? '—'), el('td', {}, e.message))),
  { id: 'rejected-rows' });
}

export function wireCatalog(ctx) {
  const form = $('#catalog-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const out = $('#catalog-out');
    const file = $('#catalog-file').files[0];
    const format = $('#catalog-format').value;
    if (!file) return;
    busy(form.querySelector('button'), out, async () => {
      let report;
      try {
        report = await ctx.api.put(`/api/v1/stores/${seg(ctx.slug)}/catalog`, file, {
          contentType: catalogType(file, format), query: { format },
        });
      } catch (err) {
        const rows = err.status === 422 ? rowsOfProblem(err) : null;
        if (!rows) throw err;
        out.replaceChildren(problemBox({ title: err.title, status: err.status, detail: err.detail }),
          el('h3', {}, t('catalog.rejectedRows')), rejectedTable(rows));
        return;
      }
      ctx.lastReport = report;
      out.replaceChildren(...renderReport(report));
      await ctx.reloadStore();
    });
  });
}
