// The advisor's answer on the shelves: every product a card names glows where it stands. Products have no meshes of
// their own (they are batched; scene.js), so the glow is drawn over each one's pick box: a translucent box and its
// outline, all the products in two draw calls (one instanced mesh, one line set). The glow pulses gently, or holds
// steady when the shopper asks for reduced motion (prefers-reduced-motion).
import * as THREE from 'three';

const MAX = 20; // the advisor answers at most 20 cards
const COLOR = 0x4ff0d2;
const PULSE_HZ = 0.8;
const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

export class ProductGlow {
  constructor() {
    this.object = new THREE.Group();
    this.object.renderOrder = 9;
    const box = new THREE.BoxGeometry(1, 1, 1).translate(0, 0.5, 0);
    this.fill = new THREE.InstancedMesh(box, new THREE.MeshBasicMaterial({
      color: COLOR, transparent: true, opacity: 0.28, depthWrite: false, blending: THREE.AdditiveBlending, toneMapped: false,
    }), MAX);
    this.fill.count = 0;
    this.fill.frustumCulled = false; // instances move when the answer changes; the shared bounds would be stale
    const edges = new THREE.EdgesGeometry(box);
    this._edge = edges.getAttribute('position').array; // one box's outline, as line-segment end points
    const outline = new THREE.BufferGeometry();
    this._lines = new Float32Array(this._edge.length * MAX);
    outline.setAttribute('position', new THREE.BufferAttribute(this._lines, 3).setUsage(THREE.DynamicDrawUsage));
    outline.setDrawRange(0, 0);
    this.outline = new THREE.LineSegments(outline, new THREE.LineBasicMaterial({
      color: COLOR, transparent: true, depthTest: false, toneMapped: false,
    }));
    this.outline.frustumCulled = false;
    this.outline.renderOrder = 11;
    this.object.add(this.fill, this.outline);
    this.object.visible = false;
    this.skus = []; // the products asked to glow (as the cards name them), in card order
    this.slots = new Map(); // sku → the slot sku in the scene that shows it
    this._t = 0;
  }

  /** Glow these products: `entries` are [sku, scene product entry] (the slot that shows the product). */
  show(entries) {
    this.skus = entries.map(([sku]) => sku);
    this.slots = new Map(entries.map(([sku, p]) => [sku, p.sku]));
    const m = new THREE.Matrix4(), scale = new THREE.Matrix4(), v = new THREE.Vector3();
    entries.slice(0, MAX).forEach(([, p], i) => {
      const [w, h, d] = p.size;
      // A little larger than the pick box, and never thinner than a hand's width: tiny items still show.
      scale.makeScale(Math.max(w, 0.08) * 1.12, Math.max(h, 0.08) * 1.12, Math.max(d, 0.08) * 1.12);
      m.copy(p.node.matrixWorld).multiply(scale);
      this.fill.setMatrixAt(i, m);
      for (let k = 0; k < this._edge.length; k += 3) {
        v.set(this._edge[k], this._edge[k + 1], this._edge[k + 2]).applyMatrix4(m);
        this._lines.set([v.x, v.y, v.z], i * this._edge.length + k);
      }
    });
    const n = Math.min(entries.length, MAX);
    this.fill.count = n;
    this.fill.instanceMatrix.needsUpdate = true;
    this.outline.geometry.setDrawRange(0, (n * this._edge.length) / 3);
    this.outline.geometry.getAttribute('position').needsUpdate = true;
    this.object.visible = n > 0;
  }

  clear() { this.show([]); }

  /** Whether the glow moves (false while the shopper prefers reduced motion: a steady highlight). */
  get pulsing() { return this.object.visible && !reducedMotion.matches; }

  update(dt) {
    if (!this.object.visible) return;
    this._t += dt;
    const wave = this.pulsing ? 0.5 + 0.5 * Math.sin(this._t * Math.PI * 2 * PULSE_HZ) : 0.6;
    this.fill.material.opacity = 0.14 + 0.24 * wave;
    this.outline.material.opacity = 0.55 + 0.45 * wave;
  }
}
