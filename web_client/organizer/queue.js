// The festival's waiting line, for the organizer: how many wait, how fast they go in, the wait at the back;
// and the controls: admission mode (auto / a fixed rate / paused) and a message to everyone waiting.

import { t } from '../shared/i18n.js';
import { duration, number } from '../shared/format.js';
import { seg } from '../shared/api.js';
import { $, el, showNote, showProblem } from '../consoles/ui.js';

function path(ctx) { return `/api/v1/festivals/${seg(ctx.slug)}/queue`; }

export function renderQueue(ctx) {
  const q = ctx.queue;
  if (!q) return;
  const eta = q.eta_back_s === null ? t('queue.unknown') : duration(q.eta_back_s * 1000);
  $('#queue-totals').replaceChildren(
    el('div', { dataset: { total: 'waiting' } }, t('queue.waiting'), el('strong', {}, number(q.waiting))),
    el('div', { dataset: { total: 'prequeue' } }, t('queue.prequeue'), el('strong', {}, number(q.prequeue))),
    el('div', { dataset: { total: 'admitted' } }, t('queue.admittedPerMin'),
      el('strong', {}, number(q.admitted_last_minute))),
    el('div', { dataset: { total: 'eta' } }, t('queue.etaBack'), el('strong', {}, eta)));
}

export function fillQueueForm(ctx) {
  const q = ctx.queue;
  if (!q) return;
  $('#q-mode').value = q.mode;
  $('#q-rate').value = q.admit_per_min ?? '';
  $('#q-msg-ko').value = q.message?.ko ?? '';
  $('#q-msg-en').value = q.message?.en ?? '';
  $('#q-rate').disabled = q.mode !== 'fixed';
}

export async function refreshQueue(ctx, { fill = false } = {}) {
  try {
    ctx.queue = await ctx.api.get(path(ctx));
  } catch (err) {
    showProblem($('#queue-out'), err);
    return;
  }
  renderQueue(ctx);
  if (fill) fillQueueForm(ctx);
}

export function wireQueue(ctx) {
  $('#q-mode').addEventListener('change', () => { $('#q-rate').disabled = $('#q-mode').value !== 'fixed'; });
  $('#queue-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const rate = $('#q-rate').value;
    const body = {
      mode: $('#q-mode').value,
      admit_per_min: rate ? Number(rate) : null,
      message_ko: $('#q-msg-ko').value.trim() || null,
      message_en: $('#q-msg-en').value.trim() || null,
    };
    try {
      ctx.queue = await ctx.api.put(path(ctx), body);
      renderQueue(ctx);
      showNote($('#queue-out'), t('saved'));
    } catch (err) {
      showProblem($('#queue-out'), err);
    }
  });
}
