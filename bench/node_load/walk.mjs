// Where a synthetic shopper walks, and its pose frames: tools/loadtest/walk.py in JavaScript (the same plan from
// the manifest, the same walk from product to product along the aisles, the same 18-byte frame). Only the random
// numbers differ (a seeded mulberry32 here, Python's Mersenne Twister there).

const EPS = 1e-3;
const YAW_STEPS = 256;
const DEFAULT_AREA = [-5, -5, 5, 5]; // a store without a published scene: a 10 m square
const PROTOCOL_VERSION = 1;
const KIND_POSE = 1;

/** A seeded PRNG (mulberry32) with the few draws the walk needs. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    random: next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    below: (n) => Math.floor(next() * n),
    weighted(weights) {
      const total = weights.reduce((s, w) => s + w, 0);
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i];
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
  };
}

/** Smallest-three packing of a unit quaternion [x, y, z, w] (docs/PROTOCOL.md, "Coordinates and quantisation"). */
export function packQuat(q) {
  const limit = 1 / Math.sqrt(2); // as server/live/core/poses.py computes them (Math.SQRT1_2 is an ulp off)
  const scale = 1023 / Math.sqrt(2);
  let largest = 0;
  for (let i = 1; i < 4; i++) if (Math.abs(q[i]) > Math.abs(q[largest])) largest = i;
  const sign = q[largest] < 0 ? -1 : 1;
  let packed = largest;
  for (let i = 0; i < 4; i++) {
    if (i === largest) continue;
    const c = Math.min(Math.max(q[i] * sign, -limit), limit);
    packed = packed * 1024 + Math.min(Math.max(Math.round((c + limit) * scale), 0), 1023);
  }
  return packed >>> 0;
}

const ROT = Array.from({ length: YAW_STEPS }, (_, i) => {
  const a = (2 * Math.PI * i) / YAW_STEPS;
  return packQuat([0, Math.sin(a / 2), 0, Math.cos(a / 2)]);
});

function dist2ToRect(r, x, z) {
  const dx = Math.max(r[0] - x, 0, x - r[2]);
  const dz = Math.max(r[1] - z, 0, z - r[3]);
  return dx * dx + dz * dz;
}

function door(a, b) {
  const loX = Math.max(a[0], b[0]), hiX = Math.min(a[2], b[2]);
  const loZ = Math.max(a[1], b[1]), hiZ = Math.min(a[3], b[3]);
  if (hiX - loX > EPS && Math.abs(hiZ - loZ) <= EPS) return [(loX + hiX) / 2, loZ];
  if (hiZ - loZ > EPS && Math.abs(hiX - loX) <= EPS) return [loX, (loZ + hiZ) / 2];
  if (hiX - loX > EPS && hiZ - loZ > EPS) return [(loX + hiX) / 2, (loZ + hiZ) / 2];
  return null;
}

/** A store's walking plan from its manifest (null: a 10 m square, no products). */
export function planFromManifest(slug, manifest) {
  let rects = ((manifest && manifest.walkable) || [])
    .filter((r) => r[2] > r[0] && r[3] > r[1])
    .map((r) => r.slice(0, 4).map(Number));
  if (!rects.length) rects = [DEFAULT_AREA];
  const doors = rects.map(() => new Map());
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const d = door(rects[i], rects[j]);
      if (d) {
        doors[i].set(j, d);
        doors[j].set(i, d);
      }
    }
  }
  const products = Object.entries((manifest && manifest.products) || {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, info]) => {
      const [px, , pz] = info.position.map(Number);
      let best = 0;
      for (let i = 1; i < rects.length; i++) if (dist2ToRect(rects[i], px, pz) < dist2ToRect(rects[best], px, pz)) best = i;
      const r = rects[best];
      return { sku, rect: best, x: Math.min(Math.max(px, r[0]), r[2]), z: Math.min(Math.max(pz, r[1]), r[3]), px, pz };
    });
  return { slug, rects, products, doors };
}

function route(plan, start, goal) {
  const prev = new Map([[start, start]]);
  const todo = [start];
  for (let head = 0; head < todo.length; head++) {
    let cur = todo[head];
    if (cur === goal) {
      const path = [cur];
      while (cur !== start) {
        cur = prev.get(cur);
        path.push(cur);
      }
      return path.reverse();
    }
    for (const next of plan.doors[cur].keys()) {
      if (!prev.has(next)) {
        prev.set(next, cur);
        todo.push(next);
      }
    }
  }
  return [];
}

/** One shopper's walk: to a random product along the aisles at `speed`, a look at it, and on again. */
export class Walker {
  constructor(plan, random, speed = 1.2) {
    this.plan = plan;
    this.rng = random;
    this.speed = speed;
    this.rect = random.weighted(plan.rects.map((r) => (r[2] - r[0]) * (r[3] - r[1])));
    const r = plan.rects[this.rect];
    this.x = random.uniform(r[0], r[2]);
    this.z = random.uniform(r[1], r[3]);
    this.y = random.uniform(1.5, 1.75);
    this.yaw = random.uniform(0, 2 * Math.PI);
    this.waypoints = [];
    this.target = null;
    this.dwell = 0;
    this.frameBuf = Buffer.alloc(18);
  }

  choose() {
    const { plan, rng: random } = this;
    let goal;
    if (!plan.products.length) {
      const i = random.below(plan.rects.length);
      const r = plan.rects[i];
      goal = { sku: '', rect: i, x: random.uniform(r[0], r[2]), z: random.uniform(r[1], r[3]), px: 0, pz: 0 };
    } else {
      goal = plan.products[random.below(plan.products.length)];
    }
    const path = route(plan, this.rect, goal.rect);
    const legs = path.length ? path : [goal.rect];
    this.waypoints = [];
    for (let i = 0; i + 1 < legs.length; i++) {
      const [dx, dz] = plan.doors[legs[i]].get(legs[i + 1]);
      this.waypoints.push([dx, dz, legs[i + 1]]);
    }
    this.waypoints.push([goal.x, goal.z, goal.rect]);
    this.target = goal;
  }

  /** Advance `dt` seconds; the new focus (a sku, or null when looking away) when it changed, else undefined. */
  step(dt) {
    if (this.dwell > 0) {
      this.dwell -= dt;
      if (this.dwell > 0) return undefined;
      this.choose();
      return null;
    }
    if (!this.waypoints.length) this.choose();
    let budget = this.speed * dt;
    while (budget > 0 && this.waypoints.length) {
      const [wx, wz, rect] = this.waypoints[0];
      const dx = wx - this.x, dz = wz - this.z;
      const d = Math.hypot(dx, dz);
      if (d > 1e-6) this.yaw = Math.atan2(dx, dz);
      if (d <= budget) {
        this.x = wx;
        this.z = wz;
        this.rect = rect;
        this.waypoints.shift();
        budget -= d;
      } else {
        this.x += (dx / d) * budget;
        this.z += (dz / d) * budget;
        budget = 0;
      }
    }
    if (this.waypoints.length || this.target === null) return undefined;
    this.yaw = Math.atan2(this.target.px - this.x, this.target.pz - this.z); // arrived: face the product
    this.dwell = this.rng.uniform(1.5, 5.0);
    const sku = this.target.sku;
    this.target = null;
    return sku || undefined;
  }

  /** The 18-byte pose frame at the walker's position and heading; `timeMs` is the sender's wall clock. */
  frame(timeMs) {
    const b = this.frameBuf;
    const rot = ROT[((Math.round((this.yaw / (2 * Math.PI)) * YAW_STEPS) % YAW_STEPS) + YAW_STEPS) % YAW_STEPS];
    b.writeUInt8(PROTOCOL_VERSION, 0);
    b.writeUInt8(KIND_POSE, 1);
    b.writeUInt8(0, 2);
    b.writeUInt8(0, 3);
    b.writeUInt32LE(timeMs % 2 ** 32, 4);
    b.writeInt16LE(Math.round(this.x * 100), 8);
    b.writeInt16LE(Math.round(this.y * 100), 10);
    b.writeInt16LE(Math.round(this.z * 100), 12);
    b.writeUInt32LE(rot, 14);
    return b;
  }
}
