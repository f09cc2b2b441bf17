// The festival's stores with approve/suspend (PUT /stores/{s}/status) and merchant invitations
// (POST /festivals/{f}/merchants: the token is shown once, with a copy button).

import { pick, t } from '../shared/i18n.js';
import { kindName } from '../shared/kinds.js';
import { $, busy, copyText, el, showNote, table } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

function actions(ctx, store) {
  const out = $('#stores-out');
  const set = (status) => (event) => busy(event.target, out, async () => {
    await ctx.api.put(`/api/v1/stores/${seg(store.slug)}/status`, { status });
    showNote(out, t('store.changed', { slug: store.slug, status: t(`status.${status}`) }));
    await ctx.refreshAll();
  });
  return el('td', {},
    store.status !== 'approved' ? el('button', { class: 'approve', onclick: set('approved') }, t('store.approve')) : null,
    ' ',
    store.status !== 'suspended' ? el('button', { class: 'suspend', onclick: set('suspended') }, t('store.suspend')) : null);
}

export function renderStores(ctx) {
  const box = $('#stores');
  if (!ctx.stores.length) {
    box.replaceChildren(el('p', { class: 'muted' }, t('stores.none')));
    return;
  }
  box.replaceChildren(table([t('store.slug'), t('store.name'), t('store.kind'), [t('store.merchant'), 'num'], t('store.scene'),
    t('store.status'), ''], ctx.stores.map((s) => el('tr', { dataset: { store: s.slug, status: s.status } },
    el('td', {}, el('code', {}, s.slug)),
    el('td', {}, pick(s.name)),
    el('td', {}, kindName(s.kind)),
    el('td', { class: 'num' }, `#${s.merchant_id}`),
    el('td', {}, s.scene ? el('code', { title: s.scene.hash }, s.scene.hash.slice(0, 10)) : '—'),
    el('td', {}, el('span', { class: `badge ${s.status}` }, t(`status.${s.status}`))),
    actions(ctx, s))), { id: 'stores-table' }));
}

export async function loadStores(ctx) {
  const data = await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}/stores`);
  ctx.stores = data.stores;
  renderStores(ctx);
}

export function renderMerchants(ctx) {
  const list = ctx.merchants || [];
  $('#merchants').replaceChildren(el('h3', {}, t('invite.merchants')), table(
    [[t('merchant.id'), 'num'], t('merchant.name'), t('merchant.email'), t('merchant.stores')],
    list.map((m) => el('tr', { dataset: { merchant: m.id } }, el('td', { class: 'num' }, `#${m.id}`), el('td', {}, m.name),
      el('td', {}, m.contact_email || '—'), el('td', {}, m.stores.join(', ') || '—'))), { id: 'merchants-table' }));
}

export async function loadMerchants(ctx) {
  ctx.merchants = (await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}/merchants`)).merchants;
  renderMerchants(ctx);
}

export function wireInvite(ctx) {
  const form = $('#invite-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const out = $('#invite-out');
    const body = Object.fromEntries(new FormData(form));
    if (!body.contact_email) delete body.contact_email;
    busy(form.querySelector('button'), out, async () => {
      const { data } = await ctx.api.post(`/api/v1/festivals/${seg(ctx.slug)}/merchants`, body);
      const input = el('input', { class: 'token-once', id: 'invite-token', readonly: true, value: data.token,
        'aria-label': t('invite.token') });
      const copied = el('span', { class: 'muted', id: 'copied' });
      const copy = el('button', { type: 'button', id: 'copy-token', onclick: async () => {
        copied.textContent = (await copyText(data.token, input)) ? t('invite.copied') : '';
      } }, t('invite.copy'));
      // The token lives only in this box: it is not kept anywhere else on the page.
      out.replaceChildren(el('div', { class: 'note note-info' }, el('div', {}, t('invite.tokenOnce', { name: data.name })),
        el('div', { class: 'row' }, input, copy, copied)));
      form.reset();
      await loadMerchants(ctx);
    });
  });
}
