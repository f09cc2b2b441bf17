// Merchant console: sign in with the merchant token, then stores → catalog → layout → build → preview → products.

import { Api, seg } from '../shared/api.js';
import * as i18n from '../shared/i18n.js';
import { $, bindLangSelect, busy, wireSignIn } from '../consoles/ui.js';
import consoleStrings from '../consoles/strings.js';
import strings from './strings.js';
import { loadStores, renderStores, wireCreateStore, fillKindSelect } from './stores.js';
import { renderReport, wireCatalog } from './catalog.js';
import { loadLayout, refreshLayoutLabels, wireLayout } from './layout.js';
import { refreshBuildLabels, renderUnplaced, resetBuild, wireBuild } from './build.js';
import { loadProducts, renderProducts, wireAssets } from './products.js';
import { loadOrders } from './orders.js';
import { drawPlan } from './plan.js';
import { loadAnalytics, wireAnalytics } from './analytics.js';

i18n.register(consoleStrings);
i18n.register(strings);
const { t } = i18n;

const ctx = {
  api: new Api({ tokenKey: 'vrstore.merchant.token' }),
  me: null,
  stores: [],
  slug: null,
  store: null,
  manifest: null,
  timeZone: 'Asia/Seoul',
  viewer: null,
};

async function viewer() {
  // three.js loads only once a store with a scene is open: the sign-in page stays light.
  if (!ctx.viewer) {
    const { Viewer } = await import('./viewer.js');
    ctx.viewer = new Viewer($('#viewer'));
    ctx.viewer.setCutaway($('#cutaway').checked);
  }
  return ctx.viewer;
}

async function showScene() {
  const scene = ctx.store && ctx.store.scene;
  $('#build-status').textContent ||= scene ? t('build.lastScene', { hash: scene.hash.slice(0, 12) }) : t('build.noScene');
  if (!scene) {
    ctx.manifest = null;
    drawPlan($('#plan'), null);
    if (ctx.viewer) ctx.viewer.clear();
    return;
  }
  const [manifest] = await Promise.all([
    fetch(scene.manifest).then((r) => (r.ok ? r.json() : null)),
    viewer().then((v) => v.load(scene.glb)),
  ]);
  ctx.manifest = manifest;
  drawPlan($('#plan'), manifest);
  renderUnplaced(manifest);
  $('#plan-legend').textContent = t('plan.legend');
}

ctx.reloadStore = async () => {
  ctx.store = await ctx.api.get(`/api/v1/stores/${seg(ctx.slug)}`);
  await loadProducts(ctx);
  const i = ctx.stores.findIndex((s) => s.slug === ctx.slug);
  if (i >= 0) ctx.stores[i] = ctx.store;
  renderStores(ctx);
  renderProducts(ctx);
  await showScene();
};

ctx.openStore = async (slug) => {
  ctx.slug = slug;
  ctx.store = null;
  ctx.lastBuild = null;
  resetBuild();
  for (const id of ['#catalog-out', '#layout-out', '#asset-out']) $(id).replaceChildren();
  $('#workspace').classList.remove('hidden');
  renderStores(ctx);
  const out = $('#catalog-out');
  await busy(null, out, async () => {
    await ctx.reloadStore();
    for (const node of document.querySelectorAll('.store-name')) node.textContent = i18n.pick(ctx.store.name);
    const festival = await ctx.api.get(`/api/v1/festivals/${seg(ctx.store.festival)}`).catch(() => null);
    if (festival) ctx.timeZone = festival.timezone;
    await Promise.all([loadLayout(ctx), loadOrders(ctx)]);
    loadAnalytics(ctx); // its own problem box: a failure here must not block the store
  });
};

async function signIn(token) {
  ctx.api.token = token;
  const me = await ctx.api.get('/api/v1/sessions/current');
  if (me.role !== 'merchant') {
    ctx.api.token = null;
    throw { title: t('error'), detail: t('signIn.wrongRole', { role: me.role }) };
  }
  ctx.me = me;
  $('#who').textContent = t('signIn.as', { id: me.merchant_id, festival: me.festival || '' });
  $('#sign-in').classList.add('hidden');
  $('#console').classList.remove('hidden');
  $('#sign-out').classList.remove('hidden');
  await loadStores(ctx);
  if (ctx.stores.length === 1) await ctx.openStore(ctx.stores[0].slug);
  document.body.dataset.signedIn = '1';
}

function signOut() {
  // Only forget the token here: revoking it would lock the merchant out (it is shown once, at invitation).
  ctx.api.token = null;
  location.reload();
}

function relabel() {
  fillKindSelect($('#create-kind'));
  refreshLayoutLabels(ctx);
  renderStores(ctx);
  if (ctx.store) {
    renderProducts(ctx);
    for (const node of document.querySelectorAll('.store-name')) node.textContent = i18n.pick(ctx.store.name);
    loadOrders(ctx);
    loadAnalytics(ctx);
  }
  refreshBuildLabels(ctx);
  if (ctx.lastReport) $('#catalog-out').replaceChildren(...renderReport(ctx.lastReport)); // texts in the new language
  if (ctx.me) $('#who').textContent = t('signIn.as', { id: ctx.me.merchant_id, festival: ctx.me.festival || '' });
  if (ctx.manifest) $('#plan-legend').textContent = t('plan.legend');
}

function main() {
  i18n.applyDom();
  bindLangSelect($('#lang'));
  i18n.onLangChange(relabel);
  wireCreateStore(ctx);
  wireCatalog(ctx);
  wireLayout(ctx);
  wireBuild(ctx);
  wireAssets(ctx);
  $('#cutaway').addEventListener('change', (event) => { if (ctx.viewer) ctx.viewer.setCutaway(event.target.checked); });
  $('#orders-refresh').addEventListener('click', () => loadOrders(ctx));
  wireAnalytics(ctx);
  wireSignIn(ctx.api, signIn, signOut);
  document.body.dataset.ready = '1';
}

main();
