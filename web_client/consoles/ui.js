// The consoles' own UI: small DOM helpers, the one way both show an API problem, sign-in and the language menu.

import { lang, setLang, t } from '../shared/i18n.js';

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

/** A problem+json (or any error) as a readable block: title, detail, then each `loc: msg [code]`. */
export function problemBox(err) {
  const box = el('div', { class: 'problem', role: 'alert' });
  const status = err.status ? ` (${err.status})` : '';
  box.append(el('strong', { class: 'problem-title' }, `${err.title || t('error')}${status}`));
  if (err.detail && err.detail !== err.title) box.append(el('div', { class: 'problem-detail' }, err.detail));
  if (err.errors && err.errors.length) {
    box.append(el('ul', { class: 'problem-errors' }, err.errors.map((e) => el('li', { dataset: { loc: (e.loc || []).join('.') } },
      locText(e.loc) ? el('code', { class: 'loc' }, locText(e.loc)) : null,
      locText(e.loc) ? ': ' : '',
      e.msg || '',
      e.code ? el('code', { class: 'error-code' }, e.code) : null))));
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

/** `headers` are labels; a `[label, 'num']` pair right-aligns its column heading like its numbers. */
export function table(headers, rows, attrs = {}) {
  const th = (h) => (Array.isArray(h) ? el('th', { class: h[1] }, h[0]) : el('th', {}, h));
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
    busy(event.target.querySelector('button'), $('#sign-in-out'), () => signIn($('#token').value.trim()));
  });
  if (api.token) {
    signIn(api.token).catch((err) => {
      api.token = null;
      showProblem($('#sign-in-out'), err);
    });
  }
}

/** Wire the header's language <select> to the shared language setting. */
export function bindLangSelect(select) {
  select.value = lang();
  select.addEventListener('change', () => setLang(select.value));
}
