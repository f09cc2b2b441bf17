// Server problems in the page's language: the problem's `type` (and its `reason`, decline code or fields when it
// has them) picks a message from problem_strings.js. Every api.js caller that shows an error to a person uses
// problemText(err); the server's English `detail` never reaches a Korean page.

import { register, t } from './i18n.js';
import { money } from './format.js';
import strings from './problem_strings.js';

register(strings);

const known = (key) => key in strings;

/** The message for an ApiError (or any error) in the current language. */
export function problemText(err) {
  const status = err?.status;
  if (status === 0) return t('problem.network');
  const problem = err?.problem || {};
  const slug = String(problem.type || '').split('/').pop() || (status === 500 ? 'internal' : '');
  const reason = problem.reason && `problem.reason.${problem.reason}`;
  if (slug === 'payment-declined') {
    const code = problem.decline_code && `problem.decline.${problem.decline_code}`;
    return t(code && known(code) ? code : 'problem.payment-declined');
  }
  if (slug === 'out-of-stock' || (slug === 'conflict' && Array.isArray(problem.short))) {
    const items = (problem.short || []).map((s) => `${s.sku} ${t('problem.short', { n: s.available })}`).join(', ');
    return slug === 'conflict' ? items || t('problem.conflict') : t('problem.out-of-stock', { items });
  }
  if (slug === 'price-changed') return t('problem.price-changed', { total: money(problem.total ?? 0, problem.currency || 'KRW') });
  if (reason && known(reason)) return t(reason);
  if (slug === 'validation') return t('problem.validation', { fields: fieldNames(err.errors || problem.errors || []) });
  if (slug === 'rate-limited') return t('problem.rate-limited', { s: problem.retry_after_s ?? 1 });
  if (slug === 'internal') return t('problem.internal', { id: problem.error_id || '—' });
  return known(`problem.${slug}`) ? t(`problem.${slug}`) : t('problem.generic');
}

/** `[{loc: ['body', 'fulfilment', 'address', 'phone']}]` → "전화번호 (예: 010-1234-5678)". */
function fieldNames(errors) {
  const names = errors.map((e) => {
    const loc = Array.isArray(e.loc) ? e.loc.filter((part) => typeof part === 'string') : [];
    const field = loc[loc.length - 1];
    return known(`problem.field.${field}`) ? t(`problem.field.${field}`) : t('problem.field.other');
  });
  return [...new Set(names)].join(', ') || t('problem.field.other');
}
