// REST calls (JSON, RFC 9457 problems) and the live socket (docs/PROTOCOL.md; binary layouts mirror
// server/live/poses.py). No rendering here: callers subscribe to messages.

import { Api, ApiError } from '../shared/api.js';
import { CLOSE, CLOSE_NAMES, NO_AUTOMATIC_RETRY, PROTOCOL_VERSION } from '../shared/protocol.js';

// No token: the shopper is known by its HttpOnly session cookie, which goes along on same-origin requests.
const rest = new Api();

/** One JSON request to the API; resolves to the decoded body, rejects with ApiError. */
export function api(path, { method = 'GET', body, headers } = {}) {
  return rest.request(method, path, { body, headers }).then((r) => r.data);
}

/** The current shopper session, or null when there is none (or it was revoked). */
export async function currentSession() {
  try {
    const me = await api('/api/v1/sessions/current');
    return me.role === 'shopper' ? me.session : null;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
    throw err;
  }
}

export async function createSession(displayName, locale) {
  const created = await api('/api/v1/sessions', { method: 'POST', body: { display_name: displayName, locale } });
  return created.session;
}

// ------------------------------------------------------------------ binary pose codec

const SCALE = 1023 / Math.SQRT2;
const LIMIT = 1 / Math.SQRT2;

/** Quaternion (x, y, z, w) → "smallest three" uint32 (see poses.py). */
export function packQuat(x, y, z, w) {
  const q = [x, y, z, w];
  const n = Math.hypot(x, y, z, w) || 1;
  let largest = 0;
  for (let i = 1; i < 4; i++) if (Math.abs(q[i]) > Math.abs(q[largest])) largest = i;
  const sign = q[largest] < 0 ? -1 : 1;
  let packed = 0;
  let shift = 20;
  for (let i = 0; i < 4; i++) {
    if (i === largest) continue;
    const c = Math.min(LIMIT, Math.max(-LIMIT, (q[i] * sign) / n));
    packed |= Math.min(1023, Math.max(0, Math.round((c + LIMIT) * SCALE))) << shift;
    shift -= 10;
  }
  return ((largest << 30) | packed) >>> 0;
}

/** Packed uint32 → [x, y, z, w]. */
export function unpackQuat(u) {
  const largest = u >>> 30;
  const three = [(u >>> 20) & 1023, (u >>> 10) & 1023, u & 1023].map((v) => v / SCALE - LIMIT);
  const out = [0, 0, 0, 0];
  let k = 0;
  for (let i = 0; i < 4; i++) if (i !== largest) out[i] = three[k++];
  out[largest] = Math.sqrt(Math.max(0, 1 - three[0] ** 2 - three[1] ** 2 - three[2] ** 2));
  const n = Math.hypot(...out) || 1;
  return out.map((v) => v / n);
}

const cm = (m) => Math.max(-32767, Math.min(32767, Math.round(m * 100)));

/** Client → server pose frame: 18 bytes, 38 with hands. `hands` is [[p, q], [p, q]] or null. */
export function encodePose(timeMs, position, quaternion, hands = null) {
  const buffer = new ArrayBuffer(hands ? 38 : 18);
  const view = new DataView(buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, 1); // kind: pose
  view.setUint8(2, hands ? 1 : 0);
  view.setUint32(4, timeMs >>> 0, true);
  let off = 8;
  const put = (p, q) => {
    view.setInt16(off, cm(p[0]), true); view.setInt16(off + 2, cm(p[1]), true); view.setInt16(off + 4, cm(p[2]), true);
    view.setUint32(off + 6, packQuat(q[0], q[1], q[2], q[3]), true);
    off += 10;
  };
  put(position, quaternion);
  if (hands) { put(hands[0][0], hands[0][1]); put(hands[1][0], hands[1][1]); }
  return buffer;
}

const decoder = new TextDecoder();

/** Server tick frame → {seq, serverMs, reset, joined:[{id,name,color,group}], left:[id], poses:[...]} */
export function decodeTick(buffer) {
  const view = new DataView(buffer);
  if (view.getUint8(0) !== 1 || view.getUint8(1) !== 2) throw new Error('not a v1 tick frame');
  const flags = view.getUint8(2);
  const seq = view.getUint32(4, true);
  const serverMs = view.getUint32(8, true);
  const [nJoined, nLeft, nPoses] = [view.getUint16(12, true), view.getUint16(14, true), view.getUint16(16, true)];
  let off = 20;
  const bytes = new Uint8Array(buffer);
  const joined = [];
  for (let i = 0; i < nJoined; i++) {
    const id = view.getUint16(off, true);
    const color = '#' + [bytes[off + 2], bytes[off + 3], bytes[off + 4]].map((b) => b.toString(16).padStart(2, '0')).join('');
    const nameLen = bytes[off + 5];
    const name = decoder.decode(bytes.subarray(off + 6, off + 6 + nameLen));
    off += 6 + nameLen;
    const groupLen = bytes[off];
    const group = decoder.decode(bytes.subarray(off + 1, off + 1 + groupLen)) || null;
    off += 1 + groupLen;
    joined.push({ id, name, color, group });
  }
  const left = [];
  for (let i = 0; i < nLeft; i++, off += 2) left.push(view.getUint16(off, true));
  const readPose = (o) => ({
    p: [view.getInt16(o, true) / 100, view.getInt16(o + 2, true) / 100, view.getInt16(o + 4, true) / 100],
    q: unpackQuat(view.getUint32(o + 6, true)),
  });
  const poses = [];
  for (let i = 0; i < nPoses; i++, off += 18) {
    const head = readPose(off + 8);
    poses.push({ id: view.getUint16(off, true), hasHands: (bytes[off + 2] & 1) === 1, t: view.getUint32(off + 4, true), ...head });
  }
  for (const pose of poses) {
    if (!pose.hasHands) continue;
    pose.hands = [readPose(off), readPose(off + 10)];
    off += 20;
  }
  return { seq, serverMs, reset: (flags & 1) === 1, joined, left, poses };
}

// ------------------------------------------------------------------ live socket


/** Forget a store's resume token: the next join is a fresh seat, which the room names anew (after a rename). */
export function forgetResume(store) { sessionStorage.removeItem(`vrstore.resume.${store}`); }

/**
 * One live connection to a store's room, reconnecting with backoff. Events: 'message' (every JSON
 * message), 'tick' (decoded binary tick), 'status' ('connecting'|'open'|'offline'|'closed', detail).
 */
export class LiveSocket extends EventTarget {
  constructor({ store, festival = null, group = null, locale = 'ko', onUnauthorized = null }) {
    super();
    this.store = store;
    this.festival = festival; // names the plaza: every festival has its own
    this.group = group;
    this.locale = locale;
    this.onUnauthorized = onUnauthorized;
    this.resume = sessionStorage.getItem(`vrstore.resume.${store}`) || null;
    this.ws = null;
    this.closed = false;
    this.paused = false; // waiting in the festival's line: no retries of our own
    this.retry = null;
    this.backoff = 500;
    this.welcome = null;
    this._connect();
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  _connect() {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ store: this.store });
    if (this.festival) query.set('festival', this.festival);
    const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live?${query}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this._emit('status', { state: 'connecting' });
    ws.onopen = () => {
      const hello = { type: 'hello', v: PROTOCOL_VERSION, locale: this.locale };
      if (this.resume) hello.resume = this.resume;
      if (this.group) hello.group = String(this.group);
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') {
        try { this._emit('tick', decodeTick(event.data)); } catch (err) { console.warn('bad tick', err); }
        return;
      }
      const msg = JSON.parse(event.data);
      if (msg.type === 'welcome') {
        this.welcome = msg;
        this.backoff = 500;
        this.resume = msg.resume;
        sessionStorage.setItem(`vrstore.resume.${this.store}`, msg.resume);
        this._emit('status', { state: 'open' });
      }
      this._emit('message', msg);
    };
    ws.onclose = async (event) => {
      if (this.ws !== ws) return;
      this.welcome = null;
      if (this.closed) return;
      if (NO_AUTOMATIC_RETRY.has(event.code)) {
        this._emit('status', { state: 'closed', code: event.code, reason: event.reason || CLOSE_NAMES[event.code] });
        return;
      }
      if (event.code === CLOSE.UNAUTHORIZED && this.onUnauthorized) await this.onUnauthorized();
      if (event.code === CLOSE.UNAUTHORIZED) this.resume = null;
      this._emit('status', { state: 'offline', code: event.code });
      if (this.paused) return;
      this.retry = setTimeout(() => this._connect(), this.backoff);
      this.backoff = Math.min(8000, this.backoff * 2);
    };
  }

  get open() { return this.ws?.readyState === WebSocket.OPEN && this.welcome !== null; }

  /** Stop retrying on its own (the shopper waits in the festival's line). */
  pause() { this.paused = true; clearTimeout(this.retry); }

  /** Connect now (the line admitted this shopper), whatever the backoff said. */
  reconnectNow() {
    this.paused = false;
    clearTimeout(this.retry);
    if (!this.closed && this.ws?.readyState !== WebSocket.OPEN) {
      this.backoff = 500;
      this._connect();
    }
  }

  send(msg) { if (this.open) this.ws.send(JSON.stringify(msg)); }

  sendPose(buffer) { if (this.open && this.ws.bufferedAmount < 16384) this.ws.send(buffer); }

  /** Reconnect with another cart group (the room learns group membership from hello). */
  setGroup(group) {
    if (String(group ?? '') === String(this.group ?? '')) return;
    this.group = group;
    if (this.ws) this.ws.close(1000, 'group changed');
  }

  close() {
    this.closed = true;
    this.ws?.close(1000, 'leaving');
  }
}
