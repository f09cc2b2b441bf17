// Numbers, money (integer minor units + ISO 4217), durations and festival-zone times for every page, in the
// current UI language: ko-KR or en-US, chosen here only.

import { lang } from './i18n.js';

/** The Intl locale of the current UI language. */
export function locale() {
  return lang() === 'en' ? 'en-US' : 'ko-KR';
}

const moneyFormats = new Map();
const digitsByCurrency = new Map();

/** Decimal places of a currency's minor unit (KRW 0, USD 2, …). */
export function minorDigits(currency) {
  if (!digitsByCurrency.has(currency)) {
    const fmt = new Intl.NumberFormat('ko-KR', { style: 'currency', currency });
    digitsByCurrency.set(currency, fmt.resolvedOptions().maximumFractionDigits);
  }
  return digitsByCurrency.get(currency);
}

/** Integer minor units → a localised amount (KRW has no decimals); '—' when there is no amount. */
export function money(minor, currency = 'KRW') {
  if (minor === null || minor === undefined) return '—';
  const key = `${locale()}:${currency}`;
  // Price tags redraw often: one formatter per language and currency.
  if (!moneyFormats.has(key)) moneyFormats.set(key, new Intl.NumberFormat(locale(), { style: 'currency', currency }));
  return moneyFormats.get(key).format(minor / 10 ** minorDigits(currency));
}

/** Minor units → the decimal string an <input> shows. */
export function toMajorInput(minor, currency) {
  if (minor === null || minor === undefined) return '';
  const digits = minorDigits(currency);
  return digits ? (minor / 10 ** digits).toFixed(digits) : String(minor);
}

/** An <input>'s text → integer minor units; `null` for empty, `NaN` for garbage. */
export function fromMajorInput(text, currency) {
  const clean = String(text).trim().replace(/[,\s]/g, '');
  if (clean === '') return null;
  if (!/^-?\d+(\.\d+)?$/.test(clean)) return Number.NaN;
  return Math.round(Number(clean) * 10 ** minorDigits(currency));
}

export function number(value) {
  return new Intl.NumberFormat(locale()).format(value ?? 0);
}

export function bytes(value) {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(2)} MiB`;
}

/** Milliseconds → "3d 04:05:06" (days only when there are any). */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d ? `${d}${lang() === 'ko' ? '일' : 'd'} ${hms}` : hms;
}

// --- time zones -------------------------------------------------------------------------------

function zoneParts(ms, timeZone) {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const out = {};
  for (const part of fmt.formatToParts(new Date(ms))) if (part.type !== 'literal') out[part.type] = Number(part.value);
  return out;
}

/** The zone's offset from UTC in ms at instant `ms`. */
function zoneOffset(ms, timeZone) {
  const p = zoneParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** A UTC ISO string → the `YYYY-MM-DDTHH:MM` a datetime-local input shows for `timeZone`. */
export function utcToLocalInput(iso, timeZone) {
  if (!iso) return '';
  const p = zoneParts(Date.parse(iso), timeZone);
  const pad = (n) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** A datetime-local value read as wall time in `timeZone` → UTC ISO string (`Z`). */
export function localInputToUtc(value, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  // Two passes settle the offset across a DST change.
  let guess = wall - zoneOffset(wall, timeZone);
  guess = wall - zoneOffset(guess, timeZone);
  return new Date(guess).toISOString().replace('.000Z', 'Z');
}

/** A UTC ISO string shown as a readable date-time in `timeZone`. */
export function showTime(iso, timeZone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** The time of day of `date` (a Date, ms or ISO string) in `timeZone` (the browser's when undefined). */
export function clockTime(date, timeZone) {
  return new Date(date).toLocaleTimeString(locale(), { timeZone });
}

export function isZone(name) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
