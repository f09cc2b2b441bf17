// Organizer console: sign in with the organizer token; the festival comes from GET /sessions/current.

import { Api } from '../shared/api.js';
import * as i18n from '../shared/i18n.js';
import { $, bindLangSelect, showProblem, wireSignIn } from '../consoles/ui.js';
import consoleStrings from '../consoles/strings.js';
import strings from './strings.js';
import { fillFestival, loadFestival, wireFestival } from './festival.js';
import { loadRules, renderRules, wireRules } from './discounts.js';
import { loadMerchants, loadStores, renderMerchants, renderStores, wireInvite } from './stores.js';
import { renderStats, refreshStats, startStats } from './stats.js';
import { refreshQueue, renderQueue, wireQueue } from './queue.js';
import { relabelDashboard, startDashboard, wireDashboard } from './dashboard.js';

i18n.register(consoleStrings);
i18n.register(strings);
const { t } = i18n;

const ctx = {
  api: new Api({ tokenKey: 'vrstore.organizer.token' }),
  slug: null,
  festival: null,
  stores: [],
  merchants: [],
  rules: [],
  stats: null,
  stopStats: null,
  stopDashboard: null,
};

ctx.refreshAll = async () => {
  await Promise.all([loadStores(ctx), refreshStats(ctx), refreshQueue(ctx)]);
};

ctx.pollAlso = () => refreshQueue(ctx); // the waiting line refreshes with the dashboard

ctx.onStoresChanged = () => {
  loadStores(ctx).catch((err) => showProblem($('#stores-out'), err));
};

function who() {
  if (ctx.festival) $('#who').textContent = `${i18n.pick(ctx.festival.name)} (${ctx.slug})`;
}

async function signIn(token) {
  ctx.api.token = token;
  const me = await ctx.api.get('/api/v1/sessions/current');
  if (me.role !== 'organizer' || !me.festival) {
    ctx.api.token = null;
    throw { title: t('error'), detail: t('signIn.wrongRole', { role: me.role }) };
  }
  ctx.slug = me.festival;
  $('#sign-in').classList.add('hidden');
  $('#console').classList.remove('hidden');
  $('#sign-out').classList.remove('hidden');
  await loadFestival(ctx);
  who();
  await Promise.all([loadStores(ctx), loadMerchants(ctx)]);
  await loadRules(ctx); // after the stores: the rule editor offers their slugs
  await refreshQueue(ctx, { fill: true });
  ctx.stopStats = startStats(ctx);
  ctx.stopDashboard = startDashboard(ctx);
  document.body.dataset.signedIn = '1';
}

function signOut() {
  if (ctx.stopStats) ctx.stopStats();
  if (ctx.stopDashboard) ctx.stopDashboard();
  ctx.api.token = null; // forget only; the organizer token is not revoked by signing out of a tab
  location.reload();
}

function relabel() {
  who();
  renderStores(ctx);
  renderMerchants(ctx);
  renderStats(ctx);
  renderQueue(ctx);
  relabelDashboard();
  if (ctx.festival) fillFestival(ctx);
  // Keep unsaved rule edits across a language switch.
  const rows = [...document.querySelectorAll('#rules-table tbody tr')].map((row) => ({
    percent: Number(row.querySelector('.rule-percent').value),
    store: row.querySelector('.rule-store').value || null,
    category: row.querySelector('.rule-category').value,
  }));
  if (ctx.slug) renderRules(ctx, rows);
}

function main() {
  i18n.applyDom();
  bindLangSelect($('#lang'));
  i18n.onLangChange(relabel);
  wireFestival(ctx);
  wireRules(ctx);
  wireInvite(ctx);
  wireQueue(ctx);
  wireDashboard(ctx);
  wireSignIn(ctx.api, signIn, signOut);
  document.body.dataset.ready = '1';
}

main();
