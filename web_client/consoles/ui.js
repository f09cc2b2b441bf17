// The consoles' own UI: small DOM helpers, the one way both show an API problem, sign-in and the language menu.

import { lang, setLang, t } from '../shared/i18n.js';
import { ApiError } from '../shared/api.js';
import { problemText } from '../shared/problems.js';

/** `el('td', {class: 'num', dataset: {sku}}, 'text', child)` — attributes, then children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** `['body', 'rules', 0, 'store']` → `rules › 0 › store` (the part of the request is dropped when more follows). */
export function locText(loc) {
  if (!Array.isArray(loc) || loc.length === 0) return '';
  const parts = loc.length > 1 && ['body', 'query', 'path'].includes(loc[0]) ? loc.slice(1) : loc;
  return parts.join(' › ');
}

/**
 * A problem as a readable block in the console's language. From the server (an ApiError): the message of its
 * `type` (shared/problems.js) and status, then each field or row at fault (`loc: msg [code]`), and the server's
 * English `detail` folded away under "server message" for support. An error the console makes itself
 * (`{title, detail, status}`, already in the page's language) shows as it is. `detail` (a text in the page's
 * language) and `errors` override the error's own.
 */
export function problemBox(err, { detail = null, errors = null } = {}) {
  const box = el('div', { class: 'problem', role: 'alert' });
  const fromServer = err instanceof ApiError;
  const status = err.status ? ` (${err.status})` : '';
  box.append(el('strong', { class: 'problem-title' }, `${fromServer ? problemText(err) : err.title || t('error')}${status}`));
  const said = detail ?? (fromServer ? null : err.detail);
  if (said && said !== err.title) box.append(el('div', { class: 'problem-detail' }, said));
  const list = errors ?? err.errors ?? [];
  if (list.length) {
    box.append(el('ul', { class: 'problem-errors' }, list.map((e) => el('li', { dataset: { loc: (e.loc || []).join('.') } },
      locText(e.loc) ? el('code', { class: 'loc' }, locText(e.loc)) : null,
      locText(e.loc) ? ': ' : '',
      e.msg || '',
      e.code ? el('code', { class: 'error-code' }, e.code) : null))));
  }
  if (fromServer && err.detail && err.detail !== said) {
    box.append(el('details', { class: 'problem-more' }, el('summary', {}, t('serverSays')),
      el('p', { lang: 'en' }, err.detail)));
  }
  return box;
}

/** Replace `target`'s content with a problem box (or clear it when `err` is null). */
export function showProblem(target, err) {
  target.replaceChildren();
  if (err) target.append(problemBox(err));
}

/** Replace `target`'s content with a short status line. */
export function showNote(target, text, kind = 'ok') {
  target.replaceChildren(el('div', { class: `note note-${kind}`, role: 'status' }, text));
}

/** Run `fn` with `button` disabled; errors land in `out` as a problem box. */
export async function busy(button, out, fn) {
  if (button) button.disabled = true;
  if (out) out.replaceChildren();
  try {
    return await fn();
  } catch (err) {
    if (out) showProblem(out, err);
    else console.error(err);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * `headers` are labels; a `[label, 'num']` pair right-aligns its column heading like its numbers. An empty label
 * (a column of buttons) is named "actions" for screen readers only: no header cell is left without a name.
 */
export function table(headers, rows, attrs = {}) {
  const named = (label) => (label === '' ? el('span', { class: 'sr-only' }, t('table.actions')) : label);
  const th = (h) => (Array.isArray(h) ? el('th', { class: h[1] }, named(h[0])) : el('th', {}, named(h)));
  return el('table', attrs,
    el('thead', {}, el('tr', {}, headers.map(th))),
    el('tbody', {}, rows));
}

/** Copy text, falling back to a selection for browsers without the async clipboard. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.select();
      return document.execCommand('copy');
    }
    return false;
  }
}

/** The sign-in form, the sign-out button and a resumed session: the same in both consoles. */
export function wireSignIn(api, signIn, signOut) {
  $('#sign-out').addEventListener('click', signOut);
  $('#sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy(event.target.querySelector('button'), $('#sign-in-out'), () => signIn($('#token').value.trim()).catch(refused));
  });
  if (api.token) {
    signIn(api.token).catch(refused).catch((err) => {
      api.token = null;
      showProblem($('#sign-in-out'), err);
    });
  }
}

/** At sign-in a 401 means the token typed (or kept) is wrong, not that a session ran out. */
function refused(err) {
  throw err && err.status === 401 ? { title: t('signIn.badToken'), status: 401 } : err;
}

/** Wire the header's language <select> to the shared language setting. */
export function bindLangSelect(select) {
  select.value = lang();
  select.addEventListener('change', () => setLang(select.value));
}
