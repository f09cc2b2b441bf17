// Fetching the catalog file's image URLs (POST /stores/{s}/image-fetches), offered under the import report when
// the server allows it (report.images_fetch is not "off"). The job runs in the background; its progress and each
// outcome's count are polled from …/image-fetches/latest until it ends.

import { pick, t } from '../shared/i18n.js';
import { number } from '../shared/format.js';
import { busy, el } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

const POLL_MS = 2000;
const RUNNING = new Set(['queued', 'running']);

function progress(job) {
  const counts = Object.entries(job.counts || {}).map(([code, count]) =>
    `${job.messages && job.messages[code] ? pick(job.messages[code]) : code}: ${number(count)}`);
  const head = t('images.progress', { done: number(job.done || 0), total: number(job.total || 0) });
  return [head, ...counts].join(' · ');
}

/** The "Fetch images" button and its status line, or nothing when fetching is off or the file had no URL. */
export function imageFetchControls(ctx, report) {
  if (report.images_fetch === 'off' || !report.images) return [];
  const status = el('p', { id: 'image-fetch-status', role: 'status', class: 'muted' });
  const button = el('button', { type: 'button', id: 'image-fetch-start' }, t('images.fetch'));
  const base = `/api/v1/stores/${seg(ctx.slug)}/image-fetches`;
  button.addEventListener('click', () => busy(button, status, async () => {
    await ctx.api.post(base);
    let job = await ctx.api.get(`${base}/latest`);
    while (RUNNING.has(job.status)) {
      status.textContent = progress(job);
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      job = await ctx.api.get(`${base}/latest`);
    }
    status.textContent = progress(job);
    status.dataset.state = job.status;
    await ctx.reloadStore();
  }));
  return [el('div', { class: 'row' }, button), status];
}
