// "My stores": the list (GET /api/v1/stores), creation (POST /api/v1/stores) and choosing the store to work on.

import { pick, t } from '../shared/i18n.js';
import { KINDS, kindName } from '../shared/kinds.js';
import { $, busy, el, showNote, table } from '../consoles/ui.js';

export function fillKindSelect(select, kinds = KINDS) {
  const value = select.value;
  select.replaceChildren(...kinds.map((k) => el('option', { value: k }, kindName(k))));
  if (value) select.value = value;
}

export function renderStores(ctx) {
  const box = $('#stores');
  if (!ctx.stores.length) {
    box.replaceChildren(el('p', { class: 'muted', id: 'no-stores' }, t('stores.none')));
    return;
  }
  const rows = ctx.stores.map((s) => el('tr', { class: ctx.slug === s.slug ? 'selected' : '', dataset: { store: s.slug } },
    el('td', {}, el('code', {}, s.slug)),
    el('td', {}, pick(s.name)),
    el('td', {}, kindName(s.kind)),
    el('td', {}, el('span', { class: `badge ${s.status}` }, t(`status.${s.status}`))),
    el('td', {}, s.scene ? el('code', { title: s.scene.hash }, s.scene.hash.slice(0, 10)) : '—'),
    el('td', {}, el('button', { class: 'open-store', onclick: () => ctx.openStore(s.slug) }, t('stores.open')))));
  box.replaceChildren(table([t('store.slug'), t('store.name'), t('store.kind'), t('store.status'), t('store.scene'), ''],
    rows, { id: 'stores-table' }));
}

export async function loadStores(ctx) {
  const data = await ctx.api.get('/api/v1/stores');
  ctx.stores = data.stores;
  renderStores(ctx);
}

export function wireCreateStore(ctx) {
  const form = $('#create-store');
  fillKindSelect($('#create-kind'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const out = $('#create-store-out');
    const data = Object.fromEntries(new FormData(form));
    data.currency = (data.currency || 'KRW').trim().toUpperCase();
    busy(form.querySelector('button'), out, async () => {
      const { data: store } = await ctx.api.post('/api/v1/stores', data);
      showNote(out, t('stores.created', { slug: store.slug }));
      form.reset();
      await loadStores(ctx);
      await ctx.openStore(store.slug);
    });
  });
}
