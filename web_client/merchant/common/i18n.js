// Korean/English labels: `ko` by default, the choice remembered in localStorage and applied to
// `data-i18n` (text), `data-i18n-placeholder` and `data-i18n-title` attributes.

const KEY = 'vrstore.lang';
const strings = { ko: {}, en: {} };
const listeners = new Set();

export const LANGS = ['ko', 'en'];

export function lang() {
  const saved = localStorage.getItem(KEY);
  return LANGS.includes(saved) ? saved : 'ko';
}

/** Merge a console's strings: `{key: {ko, en}}`. */
export function register(table) {
  for (const [key, value] of Object.entries(table)) {
    strings.ko[key] = value.ko;
    strings.en[key] = value.en;
  }
}

/** The label for `key`; `{name}` placeholders are filled from `vars`. Unknown keys show themselves. */
export function t(key, vars = {}) {
  const text = strings[lang()][key] ?? strings.ko[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A bilingual festival name ({ko, en}) in the current language. */
export function pick(names) {
  if (!names || typeof names !== 'object') return names ?? '';
  return names[lang()] || names.ko || names.en || '';
}

export function apply(root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
}

export function setLang(value) {
  if (!LANGS.includes(value)) return;
  localStorage.setItem(KEY, value);
  apply();
  for (const fn of listeners) fn(value);
}

/** Re-render callbacks run after a language switch. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Wire a <select> to the language setting. */
export function bindSwitcher(select) {
  select.value = lang();
  select.addEventListener('change', () => setLang(select.value));
}
