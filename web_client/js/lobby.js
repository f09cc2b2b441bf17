// The festival lobby: festival name, sale countdown, the plaza entrance and a card per store with a live
// visitor count. The festival is ?festival=…, else the first one the server lists.
import { langToggle, saleLine } from './locale.js';
import { applyDom, onLangChange, pick, t } from '../shared/i18n.js';
import { kindName } from '../shared/kinds.js';
import { api } from './net.js';
import { problemText } from '../shared/problems.js';

const params = new URLSearchParams(location.search);
const KIND_COLORS = {
  department_store: ['#6a4c93', '#c77dff'], traditional_market: ['#bc4749', '#f2cc8f'],
  street_district: ['#264653', '#2a9d8f'], convenience_store: ['#0077b6', '#90e0ef'], brand_shop: ['#3d405b', '#e07a5f'],
};
const KIND_ICONS = { department_store: '🏬', traditional_market: '🏮', street_district: '🛍️', convenience_store: '🏪', brand_shop: '✨' };
let festival = null;

async function festivalSlug() {
  if (params.get('festival')) return params.get('festival');
  try {
    const list = await api('/api/v1/festivals');
    return list.festivals[0]?.slug ?? 'korea-sale-festa';
  } catch {
    return 'korea-sale-festa';
  }
}

/** A small generated thumbnail per store kind (no image download needed for the lobby). */
function thumbnail(store) {
  const canvas = document.createElement('canvas');
  canvas.width = 460; canvas.height = 240;
  const ctx = canvas.getContext('2d');
  const [a, b] = KIND_COLORS[store.kind] ?? ['#333', '#777'];
  const g = ctx.createLinearGradient(0, 0, 460, 240);
  g.addColorStop(0, a); g.addColorStop(1, b);
  ctx.fillStyle = g; ctx.fillRect(0, 0, 460, 240);
  ctx.fillStyle = '#ffffff22';
  for (let i = 0; i < 6; i++) ctx.fillRect(30 + i * 70, 150 - (i % 3) * 25, 50, 90 + (i % 3) * 25); // shelves
  ctx.font = '96px system-ui'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
  ctx.fillText(KIND_ICONS[store.kind] ?? '🏬', 230, 105);
  return canvas;
}

function render() {
  if (!festival) return;
  document.getElementById('festival-name').textContent = pick(festival.name);
  document.title = `${pick(festival.name)} · vrstore`;
  document.getElementById('plaza').hidden = !festival.plaza;
  const list = document.getElementById('stores');
  list.replaceChildren(...festival.stores.map((store) => {
    const li = document.createElement('li');
    li.className = 'store-card';
    li.dataset.store = store.slug;
    const info = document.createElement('div');
    info.className = 'info';
    info.innerHTML = '<h3></h3><span class="kind"></span><span class="visitors"></span><a class="btn primary enter"></a>';
    info.querySelector('h3').textContent = pick(store.name);
    info.querySelector('.kind').textContent = kindName(store.kind);
    info.querySelector('.visitors').textContent = t('lobby.visitors', { n: store.visitors ?? 0 });
    const enter = info.querySelector('.enter');
    enter.textContent = store.scene ? t('lobby.enter') : t('lobby.noscene');
    if (store.scene) enter.href = `/store/${encodeURIComponent(store.slug)}`;
    li.append(thumbnail(store), info);
    return li;
  }));
  tick();
}

function tick() {
  if (festival) document.getElementById('countdown').textContent = saleLine(festival.starts_at, festival.ends_at);
}

async function load() {
  try {
    festival = await api(`/api/v1/festivals/${encodeURIComponent(await festivalSlug())}`);
    render();
    document.body.dataset.ready = 'true';
  } catch (err) {
    const el = document.getElementById('error');
    el.hidden = false;
    el.textContent = problemText(err);
  }
}

langToggle(document.getElementById('lang'));
onLangChange(render);
applyDom(document);
setInterval(tick, 1000);
// Visitor counts are live numbers: refresh them now and then without rebuilding the page.
setInterval(async () => {
  if (!festival) return;
  try { festival = await api(`/api/v1/festivals/${festival.slug}`); render(); } catch { /* keep the last view */ }
}, 15000);
load();
