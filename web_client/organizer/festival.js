// Festival settings and the sale window (PATCH /festivals/{f}); times are entered and shown in the
// festival's time zone and sent as UTC.

import { t } from '../shared/i18n.js';
import { isZone, localInputToUtc, showTime, utcToLocalInput } from '../shared/format.js';
import { $, busy, el, showNote, showProblem } from '../consoles/ui.js';
import { seg } from '../shared/api.js';

function zoneLabels(zone) {
  for (const node of document.querySelectorAll('.zone-name')) node.textContent = zone;
}

export function showWindow(ctx) {
  const f = ctx.festival;
  if (!f) return;
  $('#sale-window').textContent = t('festival.window', {
    start: showTime(f.starts_at, f.timezone), end: showTime(f.ends_at, f.timezone), zone: f.timezone,
    state: t(f.sale_open ? 'stats.saleOpen' : 'stats.saleClosed'),
  });
}

export function fillFestival(ctx) {
  const f = ctx.festival;
  $('#f-name-ko').value = f.name.ko;
  $('#f-name-en').value = f.name.en;
  $('#f-timezone').value = f.timezone;
  $('#f-starts').value = utcToLocalInput(f.starts_at, f.timezone);
  $('#f-ends').value = utcToLocalInput(f.ends_at, f.timezone);
  $('#f-cap').value = f.visitor_cap ?? '';
  $('#f-instance').value = f.instance_capacity ?? '';
  zoneLabels(f.timezone);
  showWindow(ctx);
}

/** The PATCH body: only what changed. Throws a problem-shaped object for what the browser can tell already. */
function patchBody(ctx) {
  const f = ctx.festival;
  const body = {};
  const zone = $('#f-timezone').value.trim();
  const errors = [];
  if (!isZone(zone)) errors.push({ loc: ['timezone'], msg: t('festival.badZone') });
  const nameKo = $('#f-name-ko').value.trim();
  const nameEn = $('#f-name-en').value.trim();
  if (nameKo && nameKo !== f.name.ko) body.name_ko = nameKo;
  if (nameEn && nameEn !== f.name.en) body.name_en = nameEn;
  if (zone !== f.timezone) body.timezone = zone;
  if (!errors.length) {
    // Wall times are read in the zone being saved, so changing the zone keeps "10:00 local" at 10:00.
    const starts = localInputToUtc($('#f-starts').value, zone);
    const ends = localInputToUtc($('#f-ends').value, zone);
    if (starts && Date.parse(starts) !== Date.parse(f.starts_at || '')) body.starts_at = starts;
    if (ends && Date.parse(ends) !== Date.parse(f.ends_at || '')) body.ends_at = ends;
    if (starts && ends && Date.parse(ends) <= Date.parse(starts)) errors.push({ loc: ['ends_at'], msg: t('festival.badWindow') });
  }
  const cap = $('#f-cap').value;
  const instance = $('#f-instance').value;
  if (cap !== '' && Number(cap) !== f.visitor_cap) body.visitor_cap = Number(cap);
  if (instance !== '' && Number(instance) !== f.instance_capacity) body.instance_capacity = Number(instance);
  if (errors.length) throw { title: t('error'), errors };
  return body;
}

export async function loadFestival(ctx) {
  ctx.festival = await ctx.api.get(`/api/v1/festivals/${seg(ctx.slug)}`);
  fillFestival(ctx);
}

export function wireFestival(ctx) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['Asia/Seoul', 'UTC'];
  $('#zones').replaceChildren(...zones.map((z) => el('option', { value: z })));
  $('#f-timezone').addEventListener('input', (event) => {
    const zone = event.target.value.trim();
    if (isZone(zone)) zoneLabels(zone);
  });
  $('#festival-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const out = $('#festival-out');
    busy(event.target.querySelector('button[type=submit]'), out, async () => {
      const body = patchBody(ctx);
      if (!Object.keys(body).length) {
        showNote(out, t('saved'));
        return;
      }
      try {
        ctx.festival = await ctx.api.patch(`/api/v1/festivals/${seg(ctx.slug)}`, body);
      } catch (err) {
        showProblem(out, err);
        return;
      }
      fillFestival(ctx);
      showNote(out, t('saved'));
    });
  });
}
