// Discount rules (GET/PUT /festivals/{f}/discounts): an editable list, saved as a whole.

import { t } from '../shared/i18n.js';
import { $, busy, el, showNote, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

function ruleRow(ctx, rule) {
  const stores = ctx.stores || [];
  // Each field is named after its column: a row of inputs in a table has no <label> of its own.
  const storeSelect = el('select', { class: 'rule-store', 'aria-label': t('discounts.store') },
    el('option', { value: '' }, t('discounts.allStores')),
    stores.map((s) => el('option', { value: s.slug }, s.slug)));
  if (rule.store && !stores.some((s) => s.slug === rule.store)) storeSelect.append(el('option', { value: rule.store }, rule.store));
  storeSelect.value = rule.store || '';
  const row = el('tr', {},
    el('td', {}, el('input', { class: 'rule-percent', type: 'number', min: '1', max: '90', value: String(rule.percent ?? 10),
      'aria-label': t('discounts.percent') })),
    el('td', {}, storeSelect),
    el('td', {}, el('input', { class: 'rule-category', value: rule.category || '', placeholder: '식품 > 과일',
      'aria-label': t('discounts.category') })),
    el('td', {}, el('button', { type: 'button', onclick: () => { row.remove(); } }, t('remove'))));
  return row;
}

export function renderRules(ctx, rules) {
  $('#discounts').replaceChildren(table([t('discounts.percent'), t('discounts.store'), t('discounts.category'), ''],
    rules.map((r) => ruleRow(ctx, r)), { id: 'rules-table' }));
}

function readRules() {
  return [...document.querySelectorAll('#rules-table tbody tr')].map((row) => {
    const rule = { percent: Number(row.querySelector('.rule-percent').value) };
    const store = row.querySelector('.rule-store').value;
    const category = row.querySelector('.rule-category').value.trim();
    if (store) rule.store = store;
    if (category) rule.category = category;
    return rule;
  });
}

export async function loadRules(ctx) {
  const data = await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}/discounts`);
  ctx.rules = data.rules;
  renderRules(ctx, ctx.rules);
  // Editing starts once the saved rules are on screen, so a load never overwrites a new row.
  $('#add-rule').disabled = false;
  $('#save-rules').disabled = false;
}

export function wireRules(ctx) {
  $('#add-rule').addEventListener('click', () => {
    const body = $('#rules-table tbody');
    if (body) body.append(ruleRow(ctx, { percent: 10 }));
  });
  $('#save-rules').addEventListener('click', (event) => {
    const out = $('#discounts-out');
    busy(event.target, out, async () => {
      const data = await ctx.api.put(`/api/v1/festivals/${seg(ctx.slug)}/discounts`, { rules: readRules() });
      ctx.rules = data.rules;
      renderRules(ctx, ctx.rules);
      showNote(out, t('saved'));
    });
  });
}
