// Catalog upload (PUT /stores/{s}/catalog, raw file body) and its import report.

import { lang, t } from '../shared/i18n.js';
import { number } from '../shared/format.js';
import { $, busy, el, problemBox, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';
import { imageFetchControls } from './images.js';

// Browsers often give CSV/TSV files an empty or odd type; the server wants one it knows.
function catalogType(file, format) {
  const name = file.name.toLowerCase();
  if (format === 'json' || name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.tsv')) return 'text/tab-separated-values';
  if (name.endsWith('.csv') || ['csv', 'shopify', 'korean'].includes(format)) return 'text/csv';
  return 'application/octet-stream';
}

/** A report row's or a problem's text in the console's language (the server sends both, with a stable code). */
function said(korean, english) {
  return lang() === 'ko' && korean ? korean : english;
}

function summaryRow(field, value, shown = null) {
  return el('tr', { dataset: { field } },
    el('th', {}, t(`report.${field}`)),
    el('td', { class: typeof value === 'number' ? 'num' : '' }, shown ?? (typeof value === 'number' ? number(value) : value)));
}

/** Hidden products by reason: the count per reason code, named by the first notice of that code. */
function hiddenText(report) {
  const names = new Map((report.notices || []).map((n) => [n.code, said(n.message_ko, n.message)]));
  const parts = Object.entries(report.hidden || {}).map(([code, count]) => t('report.hiddenBy', { reason: names.get(code) || code, count: number(count) }));
  return parts.length ? parts.join(' · ') : number(0);
}

export function renderReport(report) {
  const fields = ['format', 'encoding', 'rows_read', 'imported', 'rejected', 'deactivated', 'products', 'variants', 'images'];
  const rows = fields.map((f) => summaryRow(f, report[f] ?? 0));
  const hiddenTotal = Object.values(report.hidden || {}).reduce((a, b) => a + b, 0);
  rows.push(summaryRow('hidden', hiddenTotal, hiddenText(report)));
  rows.push(summaryRow('images_fetch', report.images_fetch, t(report.images_fetch === 'off' ? 'report.fetchOff' : 'report.fetchOn')));
  const summary = el('table', { id: 'import-report', class: 'kv' }, el('tbody', {}, rows));
  const parts = [el('h3', {}, t('catalog.report')), summary];
  if (report.errors.length) {
    parts.push(el('h3', {}, t('catalog.rejectedRows')));
    parts.push(rowTable(report.errors, 'rejected-rows'));
  } else {
    parts.push(el('div', { class: 'note' }, t('catalog.allGood')));
  }
  if ((report.notices || []).length) {
    parts.push(el('h3', {}, t('catalog.hiddenRows')));
    parts.push(rowTable(report.notices, 'hidden-rows'));
  }
  return parts;
}

/** A 422 whose errors name rows ("row 7") is a report with nothing imported: show it as rejected rows too. */
function rowsOfProblem(err) {
  const rows = [];
  for (const e of err.errors || []) {
    const at = (e.loc || []).findIndex((part) => /^row \d+$/.test(String(part)));
    if (at < 0) return null;
    rows.push({ row: Number(String(e.loc[at]).slice(4)), column: e.loc[at + 1] ?? null, message: e.msg, message_ko: e.msg_ko, code: e.code });
  }
  return rows.length ? rows : null;
}

/** The problem with its texts in the console's language (a whole-file refusal names columns and typos). */
function localProblem(err) {
  const errors = (err.errors || []).map((e) => ({ ...e, msg: said(e.msg_ko, e.msg) }));
  return problemBox(err, { errors, detail: errors.length === 1 && errors[0].code ? errors[0].msg : null });
}

function rowTable(rows, id) {
  return table([[t('row.row'), 'num'], t('row.column'), t('row.message')], rows.map((e) => el('tr', { dataset: { code: e.code || '' } },
    el('td', { class: 'num' }, e.row), el('td', {}, e.column ?? '—'), el('td', {}, said(e.message_ko, e.message)))),
  { id });
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
        if (err.status !== 422) throw err;
        const rows = rowsOfProblem(err);
        if (!rows) {
          out.replaceChildren(localProblem(err));
          return;
        }
        out.replaceChildren(problemBox(err, { errors: [] }),
          el('h3', {}, t('catalog.rejectedRows')), rowTable(rows, 'rejected-rows'));
        return;
      }
      ctx.lastReport = report;
      out.replaceChildren(...renderReport(report), ...imageFetchControls(ctx, report));
      await ctx.reloadStore();
    });
  });
}
