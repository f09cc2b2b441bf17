// Other shoppers: heads, bodies and VR hands as instanced meshes (one draw call each for everyone) plus one
// label layer for name tags. Poses arrive at the tick rate (10 Hz) and are drawn ~1.5 ticks in the past,
// interpolated between the two samples around that time, so motion stays smooth between ticks.
import * as THREE from 'three';
import { LabelLayer } from './labels.js';

const MAX = 64;
const EMOTE_ICONS = { wave: '👋', clap: '👏', heart: '❤️', laugh: '😂', thumbs_up: '👍', point: '👉', bow: '🙇', cheer: '🎉' };
const HIDDEN = new THREE.Matrix4().makeScale(0, 0, 0);

export class Avatars {
  constructor(scene) {
    this.peers = new Map(); // id → {id, name, color, group, samples: [{at, p, q, hands}], emote, emoteUntil}
    this.delayMs = 150;
    this.myGroup = null;
    this.selfId = null;
    const mat = () => new THREE.MeshStandardMaterial({ roughness: 0.6 });
    this.heads = new THREE.InstancedMesh(new THREE.SphereGeometry(0.13, 16, 12), mat(), MAX);
    this.bodies = new THREE.InstancedMesh(new THREE.CapsuleGeometry(0.2, 0.8, 4, 12), mat(), MAX);
    this.hands = new THREE.InstancedMesh(new THREE.BoxGeometry(0.07, 0.04, 0.12), mat(), MAX * 2);
    for (const m of [this.heads, this.bodies, this.hands]) {
      m.count = 0;
      m.frustumCulled = false;
      m.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      scene.add(m);
    }
    this.names = new LabelLayer({ cells: MAX, cols: 4, cellW: 256, cellH: 64, billboard: true, renderOrder: 6 });
    scene.add(this.names.mesh);
    this._m = new THREE.Matrix4();
    this._q = new THREE.Quaternion();
    this._q2 = new THREE.Quaternion();
    this._p = new THREE.Vector3();
    this._s = new THREE.Vector3(1, 1, 1);
    this._color = new THREE.Color();
    this._euler = new THREE.Euler(0, 0, 0, 'YXZ');
    this.rendered = new Map(); // id → last drawn head position (for tests and focus)
  }

  clear() { this.peers.clear(); }

  /** Full state from welcome (Colyseus-style): replaces everyone. */
  reset(selfId, peers) {
    this.selfId = selfId;
    this.peers.clear();
    for (const p of peers) {
      if (p.id === selfId) continue;
      this.join(p);
      if (p.pose) this._sample(p.id, p.pose.p, p.pose.q, null);
    }
  }

  join(info) {
    if (info.id === this.selfId) return;
    const old = this.peers.get(info.id);
    this.peers.set(info.id, { ...info, samples: old?.samples ?? [], emote: null, emoteUntil: 0 });
  }

  leave(id) { this.peers.delete(id); }

  /** A decoded tick frame from the live socket. */
  applyTick(tick) {
    if (tick.reset) {
      const keep = new Set(tick.joined.map((j) => j.id));
      for (const id of [...this.peers.keys()]) if (!keep.has(id)) this.peers.delete(id);
    }
    for (const j of tick.joined) this.join(j);
    for (const id of tick.left) this.leave(id);
    for (const pose of tick.poses) this._sample(pose.id, pose.p, pose.q, pose.hands ?? null);
  }

  _sample(id, p, q, hands) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.samples.push({ at: performance.now(), p, q, hands });
    if (peer.samples.length > 6) peer.samples.shift();
  }

  emote(id, name) {
    const peer = this.peers.get(id);
    if (peer) { peer.emote = EMOTE_ICONS[name] || '✨'; peer.emoteUntil = performance.now() + 2500; }
  }

  /** The interpolated head pose at (now - delay); extrapolation is never done (it overshoots on stops). */
  _pose(peer, at) {
    const s = peer.samples;
    if (!s.length) return null;
    let i = s.length - 1;
    while (i > 0 && s[i - 1].at > at) i--;
    if (i === 0 || s[i].at <= at) return { p: this._p.fromArray(s[s.length - 1].p), q: this._q.fromArray(s[s.length - 1].q), hands: s[s.length - 1].hands };
    const a = s[i - 1], b = s[i];
    const k = Math.min(1, Math.max(0, (at - a.at) / Math.max(1, b.at - a.at)));
    this._p.fromArray(a.p).lerp(new THREE.Vector3().fromArray(b.p), k);
    this._q.fromArray(a.q).slerp(this._q2.fromArray(b.q), k);
    return { p: this._p, q: this._q, hands: k < 0.5 ? a.hands : b.hands };
  }

  update(camera, now = performance.now()) {
    let n = 0, h = 0;
    const labels = [];
    this.rendered.clear();
    for (const peer of this.peers.values()) {
      if (n >= MAX) break;
      // A peer with no pose for a second has left our interest set or gone away: hide it (PROTOCOL.md).
      const last = peer.samples[peer.samples.length - 1];
      if (!last || now - last.at > 1000 + this.delayMs) continue;
      const pose = this._pose(peer, now - this.delayMs);
      const head = pose.p.clone();
      this.rendered.set(peer.id, head);
      this._color.set(peer.color || '#888888');
      this._m.compose(head, pose.q, this._s);
      this.heads.setMatrixAt(n, this._m);
      this.heads.setColorAt(n, this._color);
      // The body only turns with the head's yaw and hangs below it.
      this._euler.setFromQuaternion(pose.q, 'YXZ');
      const yaw = this._q2.setFromEuler(new THREE.Euler(0, this._euler.y, 0));
      const bodyY = Math.max(0.5, head.y - 0.75);
      this._m.compose(new THREE.Vector3(head.x, bodyY, head.z), yaw, new THREE.Vector3(1, Math.max(0.4, (head.y - 0.25) / 1.2), 1));
      this.bodies.setMatrixAt(n, this._m);
      this.bodies.setColorAt(n, this._color);
      if (pose.hands) {
        for (const hand of pose.hands) {
          this._m.compose(new THREE.Vector3().fromArray(hand.p), new THREE.Quaternion().fromArray(hand.q), this._s);
          this.hands.setMatrixAt(h, this._m);
          this.hands.setColorAt(h, this._color);
          h++;
        }
      }
      const grouped = this.myGroup && peer.group && String(peer.group) === String(this.myGroup);
      const emote = peer.emoteUntil > now ? peer.emote : '';
      labels.push({
        key: `peer:${peer.id}`, signature: `${peer.name}|${grouped}|${emote}|${peer.color}`,
        position: head.clone().add(new THREE.Vector3(0, 0.32, 0)), width: 0.6, height: 0.15,
        draw: (ctx, w, hgt) => drawName(ctx, w, hgt, peer.name, peer.color, grouped, emote),
      });
      n++;
    }
    for (const [mesh, count] of [[this.heads, n], [this.bodies, n], [this.hands, h]]) {
      mesh.count = count;
      mesh.instanceMatrix.needsUpdate = true;
      if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
    }
    this.names.set(labels);
    this.names.update(camera);
  }

  /** For the test hook: who is drawn where. */
  list() {
    return [...this.peers.values()].map((p) => ({
      id: p.id, name: p.name, color: p.color, group: p.group ?? null,
      position: this.rendered.get(p.id)?.toArray() ?? null,
    }));
  }
}

function drawName(ctx, w, h, name, color, grouped, emote) {
  ctx.fillStyle = grouped ? 'rgba(20, 110, 60, 0.92)' : 'rgba(20, 20, 28, 0.78)';
  ctx.beginPath();
  ctx.roundRect(4, 4, w - 8, h - 8, 18);
  ctx.fill();
  ctx.fillStyle = color || '#888';
  ctx.beginPath();
  ctx.arc(30, h / 2, 12, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#fff';
  ctx.font = '600 28px system-ui, "Noto Sans CJK KR", sans-serif';
  ctx.textBaseline = 'middle';
  const text = `${grouped ? '🛒 ' : ''}${name}${emote ? ' ' + emote : ''}`;
  ctx.fillText(text, 52, h / 2 + 1, w - 64);
}

export { HIDDEN };
