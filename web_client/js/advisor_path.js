// "Take me there": the walk the server found (GET …/path: A* over the scene's walkable floor, see
// server/services/wayfinding.py) drawn on the floor as a ribbon with arrows, a few centimetres up so it never
// flickers against the floor, and a ring at the goal. The arrows drift towards the goal, or stand still when the
// shopper prefers reduced motion. Reaching the last point ends the walk (update() says so once).
import * as THREE from 'three';
import { api } from './net.js';

const Y = 0.03; // metres above the floor
const WIDTH = 0.16;
const SPACING = 0.6; // metres between arrows
const DRIFT = 0.5; // m/s the arrows move along the way
const MAX_ARROWS = 400;
export const ARRIVE_M = 0.6; // this close to the last point is there
const COLOR = 0x4ff0d2;
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
const xz = (x, z) => `${x.toFixed(3)},${z.toFixed(3)}`;

/** The walk from (x, z) to a product: in a store, or in the plaza (to the portal of the product's store). */
export function fetchPath({ here, festival, x, z, store, sku }) {
  const query = new URLSearchParams({ from: xz(x, z), product: sku });
  if (here === 'plaza') {
    query.set('product_store', store);
    return api(`/api/v1/festivals/${encodeURIComponent(festival)}/plaza/path?${query}`);
  }
  if (store !== here) query.set('product_store', store);
  return api(`/api/v1/stores/${encodeURIComponent(here)}/path?${query}`);
}

/** A flat arrow head pointing along +z, on the floor plane. */
function arrowGeometry() {
  const v = [[0, 0.15], [0.15, 0], [0.15, -0.08], [0, 0.07], [-0.15, -0.08], [-0.15, 0]];
  const tris = [0, 1, 3, 1, 2, 3, 0, 3, 5, 5, 3, 4];
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(v.flatMap(([x, z]) => [x, 0, z]), 3));
  g.setIndex(tris);
  return g;
}

export class WayPath {
  constructor() {
    this.object = new THREE.Group();
    this.object.visible = false;
    const material = (opacity) => new THREE.MeshBasicMaterial({ color: COLOR, transparent: true, opacity, depthWrite: false,
      side: THREE.DoubleSide, toneMapped: false, polygonOffset: true, polygonOffsetFactor: -2 });
    this.ribbon = new THREE.Mesh(new THREE.BufferGeometry(), material(0.35));
    this.arrows = new THREE.InstancedMesh(arrowGeometry(), material(0.95), MAX_ARROWS);
    this.arrows.count = 0;
    this.arrows.frustumCulled = false;
    this.goal = new THREE.Mesh(new THREE.RingGeometry(0.28, 0.4, 40).rotateX(-Math.PI / 2), material(0.8));
    for (const m of [this.ribbon, this.arrows, this.goal]) { m.renderOrder = 8; this.object.add(m); }
    this.route = null; // the server's answer: {points, length_m, arrives, product, product_store, portal, store}
    this._legs = []; // [{ax, az, dx, dz, len, from}] with `from` the distance along the way where the leg starts
    this._phase = 0;
    this._m = new THREE.Matrix4();
    this._q = new THREE.Quaternion();
    this._p = new THREE.Vector3();
    this._one = new THREE.Vector3(1, 1, 1);
    this._up = new THREE.Vector3(0, 1, 0);
  }

  get active() { return this.route !== null; }

  set(route) {
    this.route = route;
    const pts = route.points;
    this._legs = [];
    let along = 0;
    const strip = [];
    for (let i = 1; i < pts.length; i++) {
      const [ax, az] = pts[i - 1], [bx, bz] = pts[i];
      const len = Math.hypot(bx - ax, bz - az);
      if (len < 1e-6) continue;
      const dx = (bx - ax) / len, dz = (bz - az) / len;
      this._legs.push({ ax, az, dx, dz, len, from: along });
      along += len;
      const nx = (-dz * WIDTH) / 2, nz = (dx * WIDTH) / 2; // half the width, across the leg
      strip.push(ax + nx, Y, az + nz, ax - nx, Y, az - nz, bx + nx, Y, bz + nz,
        bx + nx, Y, bz + nz, ax - nx, Y, az - nz, bx - nx, Y, bz - nz);
    }
    this.length = along;
    this.ribbon.geometry.dispose();
    this.ribbon.geometry = new THREE.BufferGeometry();
    this.ribbon.geometry.setAttribute('position', new THREE.Float32BufferAttribute(strip, 3));
    const [gx, gz] = pts[pts.length - 1];
    this.goal.position.set(gx, Y, gz);
    this._phase = 0;
    this._placeArrows();
    this.object.visible = true;
  }

  clear() {
    this.route = null;
    this._legs = [];
    this.object.visible = false;
  }

  /** Per frame: drift the arrows; returns true once, on the frame the shopper reaches the goal. */
  update(dt, position) {
    if (!this.route) return false;
    if (!reducedMotion.matches) {
      this._phase = (this._phase + dt * DRIFT) % SPACING;
      this._placeArrows();
    }
    const [gx, gz] = this.route.points[this.route.points.length - 1];
    return Math.hypot(position.x - gx, position.z - gz) < ARRIVE_M;
  }

  _placeArrows() {
    let n = 0, leg = 0;
    for (let s = SPACING / 2 + this._phase; s < this.length - 0.2 && n < MAX_ARROWS; s += SPACING) {
      while (leg < this._legs.length - 1 && s > this._legs[leg].from + this._legs[leg].len) leg += 1;
      const l = this._legs[leg];
      const t = s - l.from;
      this._p.set(l.ax + l.dx * t, Y + 0.002, l.az + l.dz * t);
      this._q.setFromAxisAngle(this._up, Math.atan2(l.dx, l.dz));
      this.arrows.setMatrixAt(n++, this._m.compose(this._p, this._q, this._one));
    }
    this.arrows.count = n;
    this.arrows.instanceMatrix.needsUpdate = true;
  }
}
