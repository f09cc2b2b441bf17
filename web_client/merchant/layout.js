// Layout: a template ({"template": kind}) or an uploaded YAML/JSON layout (422 errors shown with their loc).

import { t } from '../shared/i18n.js';
import { kindName } from '../shared/kinds.js';
import { $, busy, showNote } from '../consoles/ui.js';
import { seg } from '../shared/api.js';
import { fillKindSelect } from './stores.js';

const TEMPLATES = ['department_store', 'traditional_market', 'street_district', 'convenience_store'];

function showCurrent(layout, store) {
  let what;
  if (layout.source === 'template') what = kindName(layout.template);
  else if (layout.source === 'custom') what = t('layout.custom');
  else what = t('layout.auto', { kind: kindName(store.kind) });
  $('#layout-current').textContent = t('layout.current', { what });
  if (layout.template && TEMPLATES.includes(layout.template)) $('#template').value = layout.template;
}

export async function loadLayout(ctx) {
  fillKindSelect($('#template'), TEMPLATES);
  ctx.layout = await ctx.api.get(`/api/v1/stores/${seg(ctx.slug)}/layout`);
  showCurrent(ctx.layout, ctx.store);
}

export function wireLayout(ctx) {
  fillKindSelect($('#template'), TEMPLATES);
  const out = $('#layout-out');
  $('#template-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy(event.target.querySelector('button'), out, async () => {
      ctx.layout = await ctx.api.put(`/api/v1/stores/${seg(ctx.slug)}/layout`, { template: $('#template').value });
      showCurrent(ctx.layout, ctx.store);
      showNote(out, t('layout.saved'));
    });
  });
  $('#layout-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const file = $('#layout-file').files[0];
    if (!file) return;
    busy(event.target.querySelector('button'), out, async () => {
      const isJson = file.name.toLowerCase().endsWith('.json') || file.type === 'application/json';
      let body = file;
      let contentType = 'application/yaml';
      if (isJson) {
        // JSON layouts go through the typed body; a parse error is the user's, so say so in the same way.
        const text = await file.text();
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw { title: t('error'), detail: `JSON: ${err.message}`, errors: [{ loc: ['body'], msg: err.message }] };
        }
        contentType = undefined;
      }
      ctx.layout = await ctx.api.put(`/api/v1/stores/${seg(ctx.slug)}/layout`, body, { contentType });
      showCurrent(ctx.layout, ctx.store);
      showNote(out, t('layout.saved'));
    });
  });
}

export function refreshLayoutLabels(ctx) {
  fillKindSelect($('#template'), TEMPLATES);
  if (ctx.layout && ctx.store) showCurrent(ctx.layout, ctx.store);
}
