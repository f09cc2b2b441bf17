#!/usr/bin/env node
// The Node workload generator (issue #22): N walking shoppers in one store sending binary poses at --rate Hz (the
// walk of tools/loadtest/walk.py, ported in walk.mjs), and --observers of them decoding every tick frame to measure
// pose latency and delivery with tools/loadtest/report.py's definitions (report.mjs). Shoppers get guest sessions
// (POST /api/v1/sessions) and connect with a bearer token; they connect over --ramp seconds, start walking, and
// after 3 s to settle everything that arrives during --duration seconds is measured. Node 20 has no WebSocket
// client without a flag, so the `ws` package is the client. bench/node_workload.py runs it beside the Python
// generator; alone:
//
//   node bench/node_load/load.mjs --url http://127.0.0.1:8080 --store hyundai-dept --shoppers 100 --duration 5 \
//        [--observers 10] [--rate 10] [--ramp S] [--server-pid PID] [--json out.json]
//
// Prints a summary (latency p50/p95/p99, delivered share, generator CPU) and writes the figures as JSON.

import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Walker, planFromManifest, rng } from './walk.mjs';
import { analyse, decodeTick, percentile, unwrap } from './report.mjs';

const SETTLE_MS = 3000; // from "start walking" to measuring: first poses, first ticks, identities announced
const SESSION_CONCURRENCY = 16;
const PACER_SLOTS = 10; // the pacer wakes 10 times per pose period, each time for a tenth of the shoppers
const MAX_BUFFERED = 64 * 1024; // a shopper whose socket is this far behind skips poses instead of queueing them
const LAGGING_MS = 50;

class UsageError extends Error {}

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080' },
      store: { type: 'string', default: 'hyundai-dept' },
      shoppers: { type: 'string', default: '100' },
      observers: { type: 'string', default: '10' },
      rate: { type: 'string', default: '10' },
      duration: { type: 'string', default: '15' },
      ramp: { type: 'string' },
      concurrency: { type: 'string', default: '64' },
      seed: { type: 'string', default: '1' },
      'server-pid': { type: 'string' },
      json: { type: 'string' },
    },
  });
  const num = (name, min) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) throw new UsageError(`--${name} must be a number ≥ ${min}, not ${values[name]}`);
    return v;
  };
  const shoppers = Math.floor(num('shoppers', 1));
  return {
    url: values.url.replace(/\/+$/, ''), store: values.store, shoppers,
    observers: Math.min(Math.floor(num('observers', 0)), shoppers), rate: num('rate', 0.1),
    duration: num('duration', 0.1),
    ramp: values.ramp === undefined ? Math.min(120, Math.max(2, shoppers / 150)) : num('ramp', 0),
    concurrency: Math.floor(num('concurrency', 1)), seed: Math.floor(num('seed', 0)),
    serverPid: values['server-pid'] === undefined ? null : Math.floor(num('server-pid', 1)), json: values.json,
  };
}

async function getJson(url, what) {
  let r;
  try {
    r = await fetch(url);
  } catch (err) {
    throw new UsageError(`cannot reach the server at ${url}: ${err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.cause?.message ?? err.message}`);
  }
  if (r.status === 404) throw new UsageError(`${what} does not exist (HTTP 404 from ${url})`);
  if (r.status !== 200) throw new UsageError(`${what}: HTTP ${r.status} from ${url}`);
  return r.json();
}

async function plan(opts) {
  const store = await getJson(`${opts.url}/api/v1/stores/${encodeURIComponent(opts.store)}`, `store ${opts.store}`);
  const manifestUrl = store.scene && store.scene.manifest;
  const manifest = manifestUrl ? await getJson(new URL(manifestUrl, opts.url).href, 'its manifest') : null;
  return planFromManifest(opts.store, manifest);
}

async function sessions(opts) {
  const tokens = [];
  let next = 0, failed = 0;
  const one = async () => {
    while (next < opts.shoppers) {
      const i = next++;
      try {
        const r = await fetch(`${opts.url}/api/v1/sessions`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ display_name: `node bot ${i}` }),
        });
        if (r.status === 201) tokens.push((await r.json()).token);
        else failed += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: SESSION_CONCURRENCY }, one));
  return { tokens, failed };
}

/** One shopper's socket: hello → welcome, then counting (and for observers, decoding) what arrives. */
class Shopper {
  constructor(index, token, walker, log) {
    Object.assign(this, { index, token, walker, log });
    this.ws = null;
    this.welcome = null;
    this.sent = [];
    this.bytes = 0;
    this.frames = 0;
    this.skipped = 0;
    this.last = 0;
    this.closedBy = null; // the close code when the server closed it first
    this.leaving = false;
    this.closed = null;
  }

  connect(url, store) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/live?store=${encodeURIComponent(store)}`, {
        headers: { Authorization: `Bearer ${this.token}` }, perMessageDeflate: false, handshakeTimeout: 30000,
      });
      this.ws = ws;
      this.closed = new Promise((done) => ws.once('close', (code, reason) => {
        if (!this.welcome) reject(new Error(`close ${code} ${reason}`.trim()));
        else if (!this.leaving) this.closedBy = code;
        done();
      }));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`http ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', (err) => reject(new Error(err.code ?? err.message)));
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1 })));
      ws.on('message', (data, isBinary) => {
        this.bytes += data.length;
        if (isBinary) {
          this.frames += 1;
          if (this.log) this.observe(data);
        } else if (!this.welcome) {
          const msg = JSON.parse(data.toString());
          if (msg.type === 'welcome') {
            this.welcome = msg;
            resolve(this);
          }
        }
      });
    });
  }

  observe(data) {
    const now = Date.now();
    const log = this.log;
    try {
      const seq = data.readUInt32LE(4);
      const tick = decodeTick(data, (peer, t) => log.records.push([seq, peer, unwrap(t, now), now]));
      log.seqs.push(seq);
      log.delays.push([now, (now - tick.serverMs) % 2 ** 32]); // server_ms runs on the server's own clock
    } catch {
      log.bad += 1;
    }
  }
}

function observersAt(opts) {
  if (!opts.observers) return new Set();
  const every = opts.shoppers / opts.observers;
  return new Set(Array.from({ length: opts.observers }, (_, k) => Math.floor(k * every)));
}

async function connectAll(opts, shoppers, failures) {
  const start = performance.now();
  let free = opts.concurrency;
  const waiting = [];
  const slot = () => (free > 0 ? (free -= 1, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = () => (waiting.length ? waiting.shift()() : (free += 1));
  const connected = [];
  await Promise.all(shoppers.map(async (s, i) => {
    const at = start + (opts.ramp * 1000 * i) / shoppers.length;
    await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
    await slot();
    try {
      connected.push(await s.connect(opts.url, opts.store));
    } catch (err) {
      failures[err.message] = (failures[err.message] ?? 0) + 1;
    } finally {
      release();
    }
  }));
  return { connected, seconds: (performance.now() - start) / 1000 };
}

/** Every connected shopper's pose at `rate` Hz from one loop, the period split into slots, until `until` (ms). */
function pace(opts, shoppers, t0, until, counts) {
  const period = 1000 / opts.rate;
  const step = period / PACER_SLOTS;
  const slots = Array.from({ length: PACER_SLOTS }, () => []);
  shoppers.forEach((s, i) => slots[i % PACER_SLOTS].push(s));
  const lags = [];
  let due = performance.now(), k = 0;
  return new Promise((resolve) => {
    const wake = () => {
      const now = performance.now(), wall = Date.now();
      if (wall >= until) return resolve(lags);
      const measuring = wall >= t0;
      if (measuring) lags.push(now - due);
      for (const s of slots[k]) {
        if (s.ws.readyState !== WebSocket.OPEN) continue;
        const focus = s.walker.step(s.last ? (now - s.last) / 1000 : period / 1000);
        s.last = now;
        if (s.ws.bufferedAmount > MAX_BUFFERED) {
          s.skipped += 1;
        } else {
          s.ws.send(s.walker.frame(wall));
          s.sent.push(wall);
          counts.poses += measuring;
        }
        if (focus !== undefined) s.ws.send(JSON.stringify({ type: 'focus', sku: focus }));
      }
      k = (k + 1) % PACER_SLOTS;
      due += step;
      if (now - due > period) due = now; // more than a period behind: skip ahead rather than burst
      setTimeout(wake, Math.max(0, due - performance.now()));
    };
    wake();
  });
}

/** CPU seconds of a local process from /proc (Linux; USER_HZ is 100), or null. */
function procCpu(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function myCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** How much later than its fastest tick each tick of [t0, t1) reached an observer, by the server_ms in its header:
 * the clocks' offset cancels out, what is left is the wait in queues and on the wire (and the observer's own). */
function overFastest(delays, t0, t1) {
  if (!delays.length) return [];
  const first = delays[0][1];
  const rel = delays.map(([at, d]) => [at, ((((d - first + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32) - 2 ** 31]);
  const fastest = rel.reduce((m, [, d]) => Math.min(m, d), Infinity);
  return rel.filter(([at]) => at >= t0 && at < t1).map(([, d]) => d - fastest);
}

const sleepUntil = (wall) => new Promise((r) => setTimeout(r, Math.max(0, wall - Date.now())));

async function run(opts) {
  const walkPlan = await plan(opts);
  console.log(`creating ${opts.shoppers} guest sessions …`);
  const { tokens, failed } = await sessions(opts);
  if (!tokens.length) throw new UsageError(`the server at ${opts.url} created no guest session`);
  const watch = observersAt(opts);
  const shoppers = tokens.map((token, i) => new Shopper(
    i, token, new Walker(walkPlan, rng(opts.seed * 1000003 + i)),
    watch.has(i) ? { records: [], seqs: [], delays: [], bad: 0 } : null,
  ));
  const failures = failed ? { session: failed } : {};
  console.log(`connecting ${shoppers.length} shoppers over ${opts.ramp.toFixed(1)} s, ${watch.size} observer(s) …`);
  const { connected, seconds } = await connectAll(opts, shoppers, failures);
  if (!connected.length) throw new UsageError(`no shopper could connect: ${JSON.stringify(failures)}`);
  const t0 = Date.now() + SETTLE_MS, t1 = t0 + opts.duration * 1000;
  console.log(`${connected.length} connected after ${seconds.toFixed(1)} s; measuring ${opts.duration} s …`);
  const counts = { poses: 0 };
  const walking = pace(opts, connected, t0, t1, counts);
  await sleepUntil(t0);
  const at0 = { bytes: connected.reduce((a, s) => a + s.bytes, 0), cpu: myCpu(), srv: procCpu(opts.serverPid) };
  await sleepUntil(t1);
  const at1 = { bytes: connected.reduce((a, s) => a + s.bytes, 0), cpu: myCpu(), srv: procCpu(opts.serverPid) };
  const window = (Date.now() - t0) / 1000;
  const lags = await walking;
  for (const s of connected) {
    s.leaving = s.closedBy === null;
    if (s.leaving) s.ws.close(1000);
  }
  await Promise.race([Promise.all(connected.map((s) => s.closed)), new Promise((r) => setTimeout(r, 5000))]);

  const sentBy = new Map(); // "instance:peer" → that shopper's send times
  for (const s of connected) sentBy.set(`${s.welcome.instance}:${s.welcome.you.id}`, s.sent);
  const observers = connected.filter((s) => s.log).map((s) => ({
    tickHz: Number(s.welcome.tick_hz ?? 10), seqs: s.log.seqs, records: s.log.records,
    sent: new Map([...sentBy].filter(([k]) => k.startsWith(`${s.welcome.instance}:`))
      .map(([k, v]) => [Number(k.split(':')[1]), v])),
  }));
  const delays = connected.filter((s) => s.log).flatMap((s) => overFastest(s.log.delays, t0, t1));
  const dropped = {};
  for (const s of connected) if (s.closedBy !== null) dropped[s.closedBy] = (dropped[s.closedBy] ?? 0) + 1;
  const genCpu = (100 * (at1.cpu - at0.cpu)) / window;
  const lagP99 = percentile(lags, 99);
  return {
    generator: 'node', node: process.version,
    config: { ...opts, json: undefined, settle_s: SETTLE_MS / 1000 },
    duration_s: Math.round(window * 100) / 100, load_average: os.loadavg().map((v) => Math.round(v * 100) / 100),
    connected: connected.length, connect_seconds: Math.round(seconds * 10) / 10, failures,
    failures_total: Object.values(failures).reduce((a, b) => a + b, 0), dropped,
    observers: observers.length, bad_frames: connected.reduce((a, s) => a + (s.log ? s.log.bad : 0), 0),
    ...analyse(observers, t0, t1),
    tick_over_fastest_ms: { p50: percentile(delays, 50), p99: percentile(delays, 99), samples: delays.length },
    sent_poses_per_s: Math.round(counts.poses / window),
    send_skipped: connected.reduce((a, s) => a + s.skipped, 0),
    downstream: { bytes_per_shopper_s: Math.round((at1.bytes - at0.bytes) / window / connected.length) },
    server: { cpu_percent: at0.srv === null || at1.srv === null ? null
      : Math.round((1000 * (at1.srv - at0.srv)) / window) / 10 },
    generator_cpu: { cpu_percent: Math.round(genCpu * 10) / 10, saturated: genCpu >= 90, send_lag_p99_ms: lagP99,
      lagging: lagP99 !== null && lagP99 > LAGGING_MS },
  };
}

function summary(r) {
  const lat = r.latency_ms, share = r.delivered.share;
  const gen = r.generator_cpu;
  return [
    `node generator: ${r.connected} shoppers connected (${r.failures_total} failed) in ${r.connect_seconds} s, ` +
      `${r.observers} observers, ${r.duration_s} s measured, load ${r.load_average.join(' ')}`,
    `latency p50 ${lat.p50} ms  p95 ${lat.p95} ms  p99 ${lat.p99} ms  (${lat.samples} samples; a tick later ` +
      `than the fastest by server_ms: p50 ${r.tick_over_fastest_ms.p50} ms, p99 ${r.tick_over_fastest_ms.p99} ms)`,
    `delivered ${share === null ? 'n/a' : (100 * share).toFixed(2) + '%'} of ${r.delivered.expected}`,
    `generator CPU ${gen.cpu_percent} %${gen.saturated ? ' SATURATED' : ''}, send lag p99 ${gen.send_lag_p99_ms} ms` +
      `${gen.lagging ? ' LAGGING' : ''}; server CPU ${r.server.cpu_percent ?? 'n/a'} %; ` +
      `${r.downstream.bytes_per_shopper_s} B/shopper/s down`,
  ].join('\n');
}

try {
  const opts = options(process.argv.slice(2));
  const result = await run(opts);
  console.log(summary(result));
  if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
} catch (err) {
  if (!(err instanceof UsageError) && !String(err.code ?? '').startsWith('ERR_PARSE_ARGS')) {
    throw err;
  }
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
}
