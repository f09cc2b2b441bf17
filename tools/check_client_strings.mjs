// Check the web client's label tables (web_client/**/strings.js): Korean first, English complete.
// Usage: node tools/check_client_strings.mjs   (tests/server/test_client_strings.py runs it; exit 1 on a problem).
// Node warns that web_client/ declares no module type (the browser needs none): --disable-warning=MODULE_TYPELESS_PACKAGE_JSON.
// For each app, that is the tables its pages register together with shared/i18n.js:
//  - every label is {ko, en}, both non-empty, naming the same {placeholders};
//  - no key is in two of the app's tables (the one registered last would win without a word);
//  - every data-i18n* key of its pages and every literal t('key') of its modules is in its tables.
// Across the client (one i18n system, one name per thing):
//  - every *strings.js table under web_client/ belongs to an app, so none escapes these checks;
//  - store kind names (kind.*) are only in shared/kind_strings.js, which every app registers (shared/kinds.js);
//  - category names (category.*) are only in shared/category_strings.js, generated from the builder's table
//    (tests/storefront_builder/test_category_names.py checks that it is fresh);
//  - no module but a table holds a {ko: '…', en: '…'} label of its own, and only shared/i18n.js reads the
//    language setting (js/loading.js, the store page's first paint before any bundle, is the one exception).
// Keys put together at run time (t(`kind.${kind}`)) are not checked; tests/server/test_client_strings.py checks
// the kinds and the server's problem codes against the server.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLIENT = fileURLToPath(new URL('../web_client/', import.meta.url));
const SHARED = ['shared/problem_strings.js', 'shared/kind_strings.js', 'shared/category_strings.js'];
const APPS = {
  shopper: { tables: ['js/strings.js', 'js/checkout_strings.js', ...SHARED], pages: ['index.html', 'store.html', 'order.html'], modules: ['js', 'shared'] },
  merchant: { tables: ['consoles/strings.js', 'merchant/strings.js', 'merchant/orders_strings.js', ...SHARED], pages: ['merchant/index.html'], modules: ['merchant', 'consoles', 'shared'] },
  organizer: { tables: ['consoles/strings.js', 'organizer/strings.js', ...SHARED], pages: ['organizer/index.html'], modules: ['organizer', 'consoles', 'shared'] },
};
const KIND_TABLE = 'shared/kind_strings.js';
const CATEGORY_TABLE = 'shared/category_strings.js';
const LANG_READERS = new Set(['shared/i18n.js', 'js/loading.js']);
const PAGE_KEY = /data-i18n(?:-placeholder|-title|-aria-label)?="([^"]+)"/g;
// t('key' …) and t(condition ? 'key' : 'other')
const CALL_KEY = /\bt\(\s*'([\w.]+)'/g;
const CHOICE_KEYS = /\bt\([^()'`]*\?\s*'([\w.]+)'\s*:\s*'([\w.]+)'\s*\)/g;
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

const problems = new Set(); // a key a file uses twice is one problem
const tables = new Map();
for (const file of new Set(Object.values(APPS).flatMap((app) => app.tables))) {
  const table = (await import(pathToFileURL(join(CLIENT, file)))).default;
  tables.set(file, table);
  for (const [key, label] of Object.entries(table)) {
    const where = `${file}: ${key}`;
    if (!label || Object.keys(label).sort().join(',') !== 'en,ko') problems.add(`${where}: wants exactly {ko, en}`);
    else if (typeof label.ko !== 'string' || !label.ko) problems.add(`${where}: no Korean`);
    else if (typeof label.en !== 'string' || !label.en) problems.add(`${where}: no English`);
    else if (placeholders(label.ko) !== placeholders(label.en)) problems.add(`${where}: ko and en name other {placeholders}`);
  }
}

for (const [name, app] of Object.entries(APPS)) {
  const known = new Map();
  for (const file of app.tables) {
    for (const key of Object.keys(tables.get(file))) {
      if (known.has(key)) problems.add(`${name}: ${key} is in both ${known.get(key)} and ${file}`);
      known.set(key, file);
    }
  }
  const used = [];
  for (const page of app.pages) {
    for (const m of readFileSync(join(CLIENT, page), 'utf8').matchAll(PAGE_KEY)) used.push([page, m[1]]);
  }
  for (const folder of app.modules) {
    for (const entry of readdirSync(join(CLIENT, folder)).filter((f) => f.endsWith('.js'))) {
      const file = `${folder}/${entry}`;
      const text = readFileSync(join(CLIENT, file), 'utf8');
      for (const m of text.matchAll(CALL_KEY)) used.push([file, m[1]]);
      for (const m of text.matchAll(CHOICE_KEYS)) used.push([file, m[1]], [file, m[2]]);
    }
  }
  for (const [file, key] of used) if (!known.has(key)) problems.add(`${name}: ${file} uses ${key}, which no table has`);
}

// One i18n system across the client.
const sources = readdirSync(CLIENT, { recursive: true }).filter((f) => f.endsWith('.js') && !f.startsWith('dist'));
for (const file of sources.filter((f) => f.endsWith('strings.js'))) {
  if (!tables.has(file)) problems.add(`${file}: a label table no app lists in tools/check_client_strings.mjs`);
}
for (const [file, table] of tables) {
  for (const key of Object.keys(table)) {
    if (key.startsWith('kind.') && file !== KIND_TABLE) problems.add(`${file}: ${key} belongs in ${KIND_TABLE}`);
    if (key.startsWith('category.') && file !== CATEGORY_TABLE) problems.add(`${file}: ${key} belongs in ${CATEGORY_TABLE}`);
  }
}
for (const file of sources.filter((f) => !f.endsWith('strings.js'))) {
  const text = readFileSync(join(CLIENT, file), 'utf8');
  if (/\bko:\s*['"`]/.test(text)) problems.add(`${file}: a {ko, en} label outside a strings table`);
  if (text.includes('vrstore.lang') && !LANG_READERS.has(file)) problems.add(`${file}: reads the language setting itself; use shared/i18n.js`);
}

if (problems.size) {
  console.log([...problems].join('\n'));
  process.exit(1);
}
console.log(`ok: ${[...tables.values()].reduce((n, table) => n + Object.keys(table).length, 0)} labels in ${tables.size} tables`);
