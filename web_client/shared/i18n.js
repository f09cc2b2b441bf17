// The one i18n core of the shopper app and both consoles: Korean by default (festival data is Korean first),
// English switchable, the choice remembered under one localStorage key so it follows the user across pages.
// Each app registers its own `{key: {ko, en}}` tables; tools/check_client_strings.mjs checks them.

const KEY = 'vrstore.lang';
const strings = { ko: {}, en: {} };
const listeners = new Set();

export const LANGS = ['ko', 'en'];

export function lang() {
  const saved = localStorage.getItem(KEY);
  return LANGS.includes(saved) ? saved : 'ko';
}

/** Merge an app's labels, `{key: {ko, en}}`. */
export function register(table) {
  for (const [key, value] of Object.entries(table)) {
    strings.ko[key] = value.ko;
    strings.en[key] = value.en;
  }
}

/** The label for `key`, `{name}` placeholders filled from `vars`; Korean when English lacks it, else the key. */
export function t(key, vars = {}) {
  const text = strings[lang()][key] ?? strings.ko[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A bilingual festival name (`{ko, en}`) in the current language; a plain string is shown as it is. */
export function pick(names) {
  if (!names || typeof names !== 'object') return names ?? '';
  return names[lang()] || names.ko || names.en || '';
}

/** Fill `[data-i18n]` (text), `[data-i18n-placeholder]` and `[data-i18n-title]` under `root`. */
export function applyDom(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
}

export function setLang(value) {
  if (!LANGS.includes(value)) return;
  localStorage.setItem(KEY, value);
  document.documentElement.lang = value;
  applyDom(document);
  for (const fn of listeners) fn(value);
}

/** Re-render callbacks run after a language switch; returns the unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Screen readers, fonts and hyphenation follow <html lang> from the first paint, not from the first switch.
document.documentElement.lang = lang();
