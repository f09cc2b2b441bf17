// Tick frames decoded by the observers, and what their logs say: latency and delivered share with the definitions of
// tools/loadtest/report.py (its DELIVERY_DEFINITION), so the two generators' figures compare.

const TICK_HEADER = 20;
const REC = 18;
const HANDS = 20;
const SLACK_MS = 50;

export const DELIVERY_DEFINITION =
  'poses a sender sent while in an observer\'s interest set that reached the observer (that pose or a newer one ' +
  'of the same sender) within 2 tick periods + 50 ms, over all such poses';

/** A uint32 ms timestamp back on the wall clock, given a reference within ±24 days of it. */
export function unwrap(t, ref) {
  const low = ref % 2 ** 32;
  const d = ((((t - low + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32) - 2 ** 31;
  return ref + d;
}

/**
 * Decode a tick frame (docs/PROTOCOL.md, "tick"): header, joined identities, left ids, pose records, hands.
 * Calls onPose(peerId, clientTimeMs) for every pose record; returns {seq, serverMs, joined, left, poses} or
 * throws on a malformed frame.
 */
export function decodeTick(buf, onPose) {
  if (buf.length < TICK_HEADER || buf[0] !== 1 || buf[1] !== 2) throw new Error('not a v1 tick frame');
  const seq = buf.readUInt32LE(4);
  const serverMs = buf.readUInt32LE(8);
  const nJoined = buf.readUInt16LE(12), nLeft = buf.readUInt16LE(14);
  const nPoses = buf.readUInt16LE(16), nHands = buf.readUInt16LE(18);
  let off = TICK_HEADER;
  for (let i = 0; i < nJoined; i++) {
    off += 5; // id, colour
    off += 1 + buf[off]; // name
    if (off >= buf.length) throw new Error('joined section runs past the frame');
    off += 1 + buf[off]; // group
  }
  const left = [];
  for (let i = 0; i < nLeft; i++) left.push(buf.readUInt16LE(off + 2 * i));
  off += 2 * nLeft;
  if (off + REC * nPoses + HANDS * nHands !== buf.length) throw new Error('tick length does not match its counts');
  for (let i = 0; i < nPoses; i++, off += REC) onPose(buf.readUInt16LE(off), buf.readUInt32LE(off + 4));
  return { seq, serverMs, joined: nJoined, left, poses: nPoses };
}

/** The q-th percentile (0–100) of numbers, linear between ranks like numpy's default. */
export function percentile(values, q) {
  if (!values.length) return null;
  const s = Float64Array.from(values).sort();
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return Math.round((s[lo] + (s[hi] - s[lo]) * (pos - lo)) * 10) / 10;
}

function lowerBound(sorted, x) {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Latency and delivery over [t0, t1) (wall ms) from the observers' logs, as tools/loadtest/report.py's analyse():
 * observers = [{tickHz, seqs: received frame seqs, records: [[seq, peer, sentMs, recvMs], …], sent: Map(peer → sent
 * times of that peer's shopper, ms)}].
 */
export function analyse(observers, t0, t1) {
  const latencies = [];
  let expected = 0, delivered = 0;
  for (const o of observers) {
    const deadline = 2000 / o.tickHz + SLACK_MS;
    const seqs = [...new Set(o.seqs)].sort((a, b) => a - b);
    const bySender = new Map();
    for (const r of o.records) {
      if (!bySender.has(r[1])) bySender.set(r[1], []);
      bySender.get(r[1]).push(r);
    }
    for (const [sid, g] of bySender) {
      g.sort((a, b) => a[0] - b[0]); // by tick; arrival order within a sender
      const firstAt = new Map(); // distinct client time → first arrival
      for (const r of g) if (!firstAt.has(r[2])) firstAt.set(r[2], r[3]);
      for (const [ts, at] of firstAt) if (ts >= t0 && ts < t1) latencies.push(at - ts);
      const sent = o.sent.get(sid);
      if (!sent) continue;
      // Runs of frames carrying the sender, broken when two consecutive received frames lack it.
      let run = [g[0]];
      const runs = [];
      for (let i = 1; i < g.length; i++) {
        if (lowerBound(seqs, g[i][0]) - lowerBound(seqs, g[i - 1][0]) > 2) {
          runs.push(run);
          run = [];
        }
        run.push(g[i]);
      }
      runs.push(run);
      for (const r of runs) {
        let lo = Infinity, hi = -Infinity;
        for (const x of r) {
          lo = Math.min(lo, x[2]);
          hi = Math.max(hi, x[2]);
        }
        lo = Math.max(lo, t0);
        hi = Math.min(hi, t1 - deadline);
        const exp = sent.filter((s) => s >= lo && s <= hi);
        if (!exp.length) continue;
        const byTime = [...r].sort((a, b) => a[2] - b[2]);
        const rts = byTime.map((x) => x[2]);
        const best = new Array(byTime.length); // earliest arrival of a pose at least this new
        let m = Infinity;
        for (let i = byTime.length - 1; i >= 0; i--) best[i] = m = Math.min(m, byTime[i][3]);
        for (const s of exp) {
          const i = lowerBound(rts, s);
          expected += 1;
          if (i < rts.length && best[i] <= s + deadline) delivered += 1;
        }
      }
    }
  }
  return {
    latency_ms: {
      p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99),
      max: latencies.length ? latencies.reduce((a, b) => Math.max(a, b)) : null, samples: latencies.length,
    },
    delivered: {
      share: expected ? Math.round((delivered / expected) * 1e4) / 1e4 : null, delivered, expected,
      definition: DELIVERY_DEFINITION,
    },
  };
}
