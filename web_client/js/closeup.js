// The 3D close-up: the product's own geometry, copied out of the store scene, on a turntable in a small second
// renderer (drag to turn, wheel or pinch to zoom, arrow keys and +/− from the keyboard, like model-viewer).
// The scene batches products (instanced per shape or model, or baked), each instance or baked vertex carrying
// the product's feature id, so the geometry of one product is the instances/triangles with its feature id —
// whatever it is drawn as: a kit model, a merchant model or a picture card. productModel() also serves the VR
// panel, which shows the same copy beside itself.
//
// What this relies on from scene.js (public API only): `scene.products.get(sku)` → {feature?}, `scene.features`
// (the manifest's sku list, index = feature id) and `scene.root` (the loaded glTF scene with world matrices).
import * as THREE from 'three';
import { reducedMotion } from './motion.js';

const FEATURE_INSTANCED = '_FEATURE_ID_0'; // EXT_mesh_gpu_instancing attribute (GLTFLoader keeps its name)
const FEATURE_VERTEX = '_feature_id_0'; // a baked mesh's vertex attribute (GLTFLoader lower-cases it)
const COPIED = ['position', 'normal', 'uv', 'color'];

/** A copy of the product's geometry in world units, centred on its footprint with its base at y = 0, or null. */
export function productModel(scene, sku) {
  const entry = scene?.products?.get(sku);
  if (!entry) return null;
  const feature = Number.isInteger(entry.feature) ? entry.feature : (scene.features ?? []).indexOf(sku);
  if (feature < 0) return null;
  const group = new THREE.Group();
  const matrix = new THREE.Matrix4(), instance = new THREE.Matrix4(), tint = new THREE.Color();
  scene.root.traverse((mesh) => {
    if (!mesh.isMesh || Array.isArray(mesh.material)) return;
    const geometry = mesh.geometry;
    const perInstance = mesh.isInstancedMesh ? geometry.getAttribute(FEATURE_INSTANCED) : null;
    if (perInstance) {
      for (let i = 0; i < mesh.count; i++) {
        if (Math.round(perInstance.getX(i)) !== feature) continue;
        mesh.getMatrixAt(i, instance);
        matrix.multiplyMatrices(mesh.matrixWorld, instance);
        const copy = copyGeometry(geometry, matrix, null);
        const material = mesh.material.clone();
        if (mesh.instanceColor) material.color?.multiply(tint.fromBufferAttribute(mesh.instanceColor, i));
        if (copy) group.add(new THREE.Mesh(copy, material));
      }
      return;
    }
    const perVertex = geometry.getAttribute(FEATURE_VERTEX);
    if (!perVertex || mesh.isInstancedMesh) return;
    const copy = copyGeometry(geometry, mesh.matrixWorld, (v) => Math.round(perVertex.getX(v)) === feature);
    if (copy) group.add(new THREE.Mesh(copy, mesh.material.clone()));
  });
  if (!group.children.length) return null;
  // Face the front (+Z) the way the shelf shows it: undo the slot's turn, then centre the footprint.
  const yaw = new THREE.Euler().setFromRotationMatrix(entry.node?.matrixWorld ?? new THREE.Matrix4(), 'YXZ').y;
  for (const child of group.children) child.geometry.rotateY(-yaw);
  const box = new THREE.Box3().setFromObject(group);
  const centre = box.getCenter(new THREE.Vector3());
  for (const child of group.children) child.geometry.translate(-centre.x, -box.min.y, -centre.z);
  group.userData.size = box.getSize(new THREE.Vector3());
  return group;
}

/** Free what productModel() made (its geometries and material copies; textures stay the scene's). */
export function disposeModel(model) {
  model?.traverse((obj) => {
    if (!obj.isMesh) return;
    obj.geometry.dispose();
    obj.material.dispose();
  });
  model?.removeFromParent();
}

/** The triangles of `geometry` whose first vertex passes `keep` (all when null), as float attributes moved by
 * `matrix` (quantized and interleaved attributes are read through getComponent, which denormalizes). */
function copyGeometry(geometry, matrix, keep) {
  const index = geometry.index;
  const position = geometry.getAttribute('position');
  if (!position) return null;
  const start = geometry.drawRange.start;
  const end = Math.min(index ? index.count : position.count, start + geometry.drawRange.count);
  const remap = new Map();
  const order = [];
  const triangles = [];
  for (let i = start; i + 2 < end; i += 3) {
    const a = index ? index.getX(i) : i;
    if (keep && !keep(a)) continue;
    for (const v of [a, index ? index.getX(i + 1) : i + 1, index ? index.getX(i + 2) : i + 2]) {
      let k = remap.get(v);
      if (k === undefined) { k = order.length; remap.set(v, k); order.push(v); }
      triangles.push(k);
    }
  }
  if (!triangles.length) return null;
  const out = new THREE.BufferGeometry();
  for (const name of COPIED) {
    const source = geometry.getAttribute(name);
    if (!source || source.isInstancedBufferAttribute) continue;
    const size = source.itemSize;
    const array = new Float32Array(order.length * size);
    order.forEach((v, j) => { for (let c = 0; c < size; c++) array[j * size + c] = source.getComponent(v, c); });
    out.setAttribute(name, new THREE.BufferAttribute(array, size));
  }
  out.setIndex(triangles);
  out.applyMatrix4(matrix);
  if (!out.getAttribute('normal')) out.computeVertexNormals();
  return out;
}

const FOV = 32;
const MIN_ZOOM = 0.45, MAX_ZOOM = 2.5;
const SPIN = 0.6; // rad/s while nobody touches it
const IDLE_MS = 3000; // the turntable starts again this long after the last touch

/** The turntable viewer on a canvas. show(model) takes ownership of the model (disposed on the next show). */
export class Closeup {
  constructor(canvas, { minFrameMs = 0 } = {}) {
    this.canvas = canvas;
    this.minFrameMs = Math.max(minFrameMs, 1000 / 30); // a small view: 30 fps is plenty
    this.renderer = null; // created on first show: a WebGL context only for shoppers who look
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a7a66, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 2.2);
    sun.position.set(1.5, 3, 2);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(FOV, 1, 0.01, 50);
    this.model = null;
    this.yaw = 0.5; this.pitch = 0.25; this.zoom = 1;
    this.touched = -Infinity;
    this.pointers = new Map();
    this.running = false;
    this.frames = 0;
    this._last = 0;
    this._loop = (time) => this._frame(time);
    this._bind();
  }

  get triangles() {
    let n = 0;
    this.model?.traverse((o) => { if (o.isMesh) n += o.geometry.index.count / 3; });
    return n;
  }

  show(model) {
    if (this.model) disposeModel(this.model);
    this.model = model;
    this.yaw = 0.5; this.pitch = 0.25; this.zoom = 1; this.touched = -Infinity;
    if (!model) return;
    this.scene.add(model);
    const size = model.userData.size ?? new THREE.Box3().setFromObject(model).getSize(new THREE.Vector3());
    this.radius = Math.max(0.02, size.length() / 2);
    this.height = size.y / 2;
  }

  start() {
    if (this.running || !this.model) return;
    this.renderer ??= this._makeRenderer();
    this.running = true;
    requestAnimationFrame(this._loop);
  }

  stop() { this.running = false; }

  _makeRenderer() {
    const renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, alpha: true });
    renderer.outputColorSpace = THREE.SRGBColorSpace;
    renderer.toneMapping = THREE.ACESFilmicToneMapping;
    renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
    return renderer;
  }

  _frame(time) {
    if (!this.running) return;
    requestAnimationFrame(this._loop);
    if (time - this._last < this.minFrameMs - 2) return;
    const dt = Math.min(0.1, (time - this._last) / 1000);
    this._last = time;
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (!w || !h || !this.model) return; // hidden (display: none)
    if (this.canvas.width !== Math.round(w * this.renderer.getPixelRatio())) this.renderer.setSize(w, h, false);
    if (performance.now() - this.touched > IDLE_MS && !reducedMotion()) this.yaw += SPIN * dt; // no idle spin under reduced motion
    this.camera.aspect = w / h;
    const distance = (this.radius / Math.sin(THREE.MathUtils.degToRad(FOV / 2))) * this.zoom;
    const target = new THREE.Vector3(0, this.height, 0);
    this.camera.position.set(Math.sin(this.yaw) * Math.cos(this.pitch), Math.sin(this.pitch),
      Math.cos(this.yaw) * Math.cos(this.pitch)).multiplyScalar(distance).add(target);
    this.camera.near = distance / 50; this.camera.far = distance * 4;
    this.camera.updateProjectionMatrix();
    this.camera.lookAt(target);
    this.renderer.render(this.scene, this.camera);
    this.frames += 1;
  }

  rotate(dx, dy) {
    this.yaw -= dx;
    this.pitch = THREE.MathUtils.clamp(this.pitch + dy, -0.6, 1.35);
    this.touched = performance.now();
  }

  zoomBy(factor) {
    this.zoom = THREE.MathUtils.clamp(this.zoom * factor, MIN_ZOOM, MAX_ZOOM);
    this.touched = performance.now();
  }

  _bind() {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => {
      c.setPointerCapture?.(e.pointerId);
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      this.touched = performance.now();
    });
    c.addEventListener('pointermove', (e) => {
      const last = this.pointers.get(e.pointerId);
      if (!last) return;
      if (this.pointers.size === 1) {
        this.rotate((e.clientX - last.x) * 0.01, (e.clientY - last.y) * 0.01);
      } else if (this.pointers.size === 2) {
        const other = [...this.pointers.entries()].find(([id]) => id !== e.pointerId)[1];
        const before = Math.hypot(last.x - other.x, last.y - other.y);
        const after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
        if (before > 0 && after > 0) this.zoomBy(before / after); // fingers apart: closer
      }
      last.x = e.clientX; last.y = e.clientY;
    });
    const up = (e) => { this.pointers.delete(e.pointerId); };
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
    c.addEventListener('wheel', (e) => { e.preventDefault(); this.zoomBy(Math.exp(e.deltaY * 0.0015)); },
      { passive: false });
    c.addEventListener('keydown', (e) => {
      const step = 0.2;
      const keys = { ArrowLeft: () => this.rotate(step, 0), ArrowRight: () => this.rotate(-step, 0),
        ArrowUp: () => this.rotate(0, step), ArrowDown: () => this.rotate(0, -step),
        '+': () => this.zoomBy(0.85), '=': () => this.zoomBy(0.85), '-': () => this.zoomBy(1 / 0.85) };
      if (!keys[e.key]) return;
      keys[e.key]();
      e.preventDefault();
      e.stopPropagation(); // arrows here turn the model, not the shopper
    });
  }
}
