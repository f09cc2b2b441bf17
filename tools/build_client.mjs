// The production build of the web client: every page's module entry bundled and minified by esbuild (three.js
// and uPlot tree-shaken into it, shared code and dynamic imports split into chunks), CSS minified, source maps
// alongside, every file named by a hash of its content, and a gzip and a brotli copy of each text file.
// Usage: node tools/build_client.mjs [--quiet] [--out DIR]   (scripts/setup.sh and setup.py run it; seconds).
// --out builds somewhere else than web_client/dist/ (the server tests build into a temporary folder).
// Output: web_client/dist/ (gitignored), replaced whole, with dist/manifest.json mapping the URL a page names
// (/web/js/main.js, /web/css/app.css) to the hashed file (/web/dist/main-XXXXXXXX.js) and to the chunks it
// imports at once (for <link rel="modulepreload">). server/http/handlers/web.py rewrites the pages from it.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = join(ROOT, 'web_client');
const DEFAULT_DIST = join(CLIENT, 'dist');
const URL_PREFIX = '/web/dist/';
// What the pages name: their module entries and stylesheets under /web/, read from every page in web_client/
// (so a new page or stylesheet is built without a word here). A page's reference to anything else stays as it is.
const MODULE_SCRIPT = /<script type="module" src="\/web\/([^"]+\.js)"><\/script>/g;
const STYLESHEET = /<link rel="stylesheet" href="\/web\/([^"]+\.css)">/g;

function pageEntries() {
  const pages = readdirSync(CLIENT, { recursive: true }).filter((p) => p.endsWith('.html') && !p.startsWith('dist'));
  const found = new Set();
  for (const page of pages) {
    const html = readFileSync(join(CLIENT, page), 'utf8');
    for (const m of [...html.matchAll(MODULE_SCRIPT), ...html.matchAll(STYLESHEET)]) found.add(m[1]);
  }
  return [...found].sort();
}

// Absolute imports the pages resolve through the server's /vendor/ routes; the bundle takes them from npm.
const VENDOR = { '/vendor/uplot/': 'node_modules/uplot/dist/' };
const COMPRESSIBLE = /\.(js|css|json)$/; // not the source maps: only developer tools read them
const MIN_SAVING = 0.1; // a compressed copy must save 10 % to be worth a file (and a Content-Encoding)

const vendorPaths = {
  name: 'vendor-paths',
  setup(b) {
    b.onResolve({ filter: /^\/vendor\// }, (args) => {
      const prefix = Object.keys(VENDOR).find((p) => args.path.startsWith(p));
      if (!prefix) return { errors: [{ text: `${args.path}: no npm package serves this /vendor/ path` }] };
      return { path: join(ROOT, VENDOR[prefix], args.path.slice(prefix.length)) };
    });
  },
};

function compress(path) {
  const body = readFileSync(path);
  if (body.length < 1024) return;
  const copies = {
    '.gz': gzipSync(body, { level: 9 }),
    '.br': brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  };
  for (const [ext, copy] of Object.entries(copies)) {
    if (copy.length <= body.length * (1 - MIN_SAVING)) writeFileSync(path + ext, copy);
  }
}

export async function buildClient({ quiet = false, out = DEFAULT_DIST } = {}) {
  const DIST = resolve(out);
  // Build into a fresh folder beside dist/ and swap it in, so a running server never reads half a build.
  const staging = `${DIST}.new-${process.pid}`; // two builds at once (setup and a test) must not share it
  rmSync(staging, { recursive: true, force: true });
  const entries = pageEntries();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: entries.map((p) => join(CLIENT, p)),
    outdir: staging,
    outbase: CLIENT,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
    legalComments: 'eof',
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
    plugins: [vendorPaths],
  });
  const files = {};
  const preload = {};
  const sources = new Set();
  const outputs = result.metafile.outputs;
  const named = new Set(entries.map((p) => `web_client/${p}`));
  const urlOf = (out) => URL_PREFIX + relative(staging, join(ROOT, out));
  for (const [out, meta] of Object.entries(outputs)) {
    if (!named.has(meta.entryPoint)) continue; // a dynamic import's chunk: its importer names it
    const source = `/web/${meta.entryPoint.slice('web_client/'.length)}`;
    files[source] = urlOf(out);
    // Every chunk the entry needs before it runs, however deep: one <link rel="modulepreload"> each, so the
    // browser fetches them in parallel with the entry instead of one import level per round trip.
    const needed = new Set();
    const todo = [out];
    while (todo.length) {
      for (const i of outputs[todo.pop()].imports || []) {
        if (i.kind === 'import-statement' && !i.external && !needed.has(i.path)) { needed.add(i.path); todo.push(i.path); }
      }
    }
    preload[source] = [...needed].map(urlOf);
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.startsWith('web_client/')) sources.add(input.slice('web_client/'.length));
  }
  for (const out of Object.keys(result.metafile.outputs)) {
    if (COMPRESSIBLE.test(out)) compress(join(ROOT, out));
  }
  writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(
    { version: 1, files, preload, sources: [...sources].sort() }, null, 1)}\n`);
  const old = `${DIST}.old-${process.pid}`;
  try {
    statSync(DIST);
    renameSync(DIST, old);
  } catch { /* first build */ }
  mkdirSync(dirname(DIST), { recursive: true });
  renameSync(staging, DIST);
  rmSync(old, { recursive: true, force: true });
  return { files, preload };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--out');
  const { files } = await buildClient({ quiet: process.argv.includes('--quiet'),
    out: at > 0 ? process.argv[at + 1] : DEFAULT_DIST });
  if (!process.argv.includes('--quiet')) {
    for (const [source, url] of Object.entries(files)) console.log(`${source} → ${url}`);
  }
}
