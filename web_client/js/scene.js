// The store scene: load the GLB + manifest, index products from the manifest and portal/spawn nodes from their
// glTF extras, and pick products. Products have no nodes in the GLB (thousands of them made most of its bytes):
// the manifest gives each its pick box (position, rotation_y, size [w, h, d] with the bottom face on the
// position), its price-tag anchor and its feature id. Picking uses the pick box, which is generous for tiny
// items; the batched visible meshes are ray-cast too so a shelf or wall in front of a product hides it, and
// their _FEATURE_ID_0 (index into the manifest's `features`) maps a hit back to its sku.
import * as THREE from 'three';
import { gltfLoader } from '../shared/gltf.js';

const MAX_PICK_DISTANCE = 14;
const UP = new THREE.Vector3(0, 1, 0);
const UNIT = new THREE.Vector3(1, 1, 1);

/** An anchor where a scene node used to be: something with a matrixWorld, read like a node's. */
function anchor(position, turn) {
  return { matrixWorld: new THREE.Matrix4().compose(new THREE.Vector3(...position), turn, UNIT) };
}

/** A product of the manifest: {sku, feature, size, node, tag, box (local), inverse, world: Vector3}. `node` is
 * the pick box's frame and `tag` the price tag's, both anchors ({matrixWorld}). */
function productEntry(sku, m) {
  const turn = new THREE.Quaternion().setFromAxisAngle(UP, THREE.MathUtils.degToRad(m.rotation_y || 0));
  const node = anchor(m.position, turn);
  const [w, h, d] = m.size;
  return {
    sku, feature: m.feature, size: m.size, node, tag: m.tag ? anchor(m.tag, turn) : null,
    box: new THREE.Box3(new THREE.Vector3(-w / 2, 0, -d / 2), new THREE.Vector3(w / 2, h, d / 2)),
    inverse: node.matrixWorld.clone().invert(),
    world: new THREE.Vector3(0, h / 2, 0).applyMatrix4(node.matrixWorld),
  };
}

/** Fetch with download progress (the GLB's Content-Length is known: it is a static file). */
async function fetchBytes(url, onProgress) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body || !total) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received / total);
  }
  const out = new Uint8Array(received);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out.buffer;
}

export class StoreScene {
  constructor(gltf, manifest) {
    this.root = gltf.scene;
    this.manifest = manifest;
    this.products = new Map(); // sku → productEntry()
    this.portals = []; // {id, target, label, node, size, inverse}
    this.spawns = [];
    this.pickMeshes = [];
    this.root.updateMatrixWorld(true);
    this.root.traverse((obj) => {
      const v = obj.userData?.vrstore;
      if (obj.isMesh) {
        this.pickMeshes.push(obj);
        obj.matrixAutoUpdate = false; // static geometry: no per-frame matrix work
      }
      if (v?.portal) {
        this.portals.push({ id: v.id, target: v.portal, label: v.label, node: obj, size: v.size || [1.6, 2.4, 0.3],
          inverse: obj.matrixWorld.clone().invert() });
      } else if (v?.spawn) {
        this.spawns.push({ id: v.spawn, node: obj });
      }
    });
    for (const [sku, entry] of Object.entries(manifest.products || {})) this.products.set(sku, productEntry(sku, entry));
    this.features = manifest.features || [];
    this.walkable = manifest.walkable || [];
    this._ray = new THREE.Ray();
    this._hit = new THREE.Vector3();
    this._raycaster = new THREE.Raycaster();
  }

  /** Where a shopper appears: a spawn point (by index, spread so friends do not stack), facing its yaw. */
  spawn(index = 0) {
    const list = this.manifest.spawn_points || [];
    const s = list.length ? list[index % list.length] : { position: [0, 0, 0], rotation_y: 0 };
    return { position: new THREE.Vector3(...s.position), yaw: THREE.MathUtils.degToRad(s.rotation_y || 0) };
  }

  /** True when (x, z) is on a walkable rectangle [x0, z0, x1, z1] of the manifest. */
  walkableAt(x, z) {
    if (!this.walkable.length) return true;
    return this.walkable.some(([x0, z0, x1, z1]) => x >= x0 && x <= x1 && z >= z0 && z <= z1);
  }

  /** The nearest product whose pick box the ray crosses and that nothing solid hides: {sku, distance, point}. */
  pick(ray) {
    let best = null;
    for (const p of this.products.values()) {
      this._ray.copy(ray).applyMatrix4(p.inverse);
      if (!this._ray.intersectBox(p.box, this._hit)) continue;
      this._hit.applyMatrix4(p.node.matrixWorld);
      const distance = this._hit.distanceTo(ray.origin);
      if (distance < MAX_PICK_DISTANCE && (!best || distance < best.distance)) {
        best = { sku: p.sku, distance, point: this._hit.clone() };
      }
    }
    const solid = this.raycast(ray);
    if (solid && !solid.sku && best && solid.distance < best.distance - 0.08) return null; // hidden
    if (!best && solid?.sku && solid.distance < MAX_PICK_DISTANCE) return solid; // a hit on drawn geometry only
    return best;
  }

  /** First visible-geometry hit: {distance, point, normal, sku|null} (sku from the feature id attribute). */
  raycast(ray) {
    this._raycaster.ray.copy(ray);
    this._raycaster.far = 60;
    const hits = this._raycaster.intersectObjects(this.pickMeshes, false);
    const hit = hits.find((h) => !h.object.material?.transparent);
    if (!hit) return null;
    const geom = hit.object.geometry;
    let feature = null;
    const instanced = geom.getAttribute('_FEATURE_ID_0');
    const baked = geom.getAttribute('_feature_id_0');
    if (instanced && hit.instanceId !== undefined) feature = instanced.getX(hit.instanceId);
    else if (baked && hit.face) feature = baked.getX(hit.face.a);
    const sku = feature !== null ? this.features[Math.round(feature)] ?? null : null;
    const normal = hit.face ? hit.face.normal.clone().transformDirection(hit.object.matrixWorld) : null;
    return { distance: hit.distance, point: hit.point, normal, sku };
  }

  /** A walkable floor point under a ray (click-to-walk, teleport), or null. */
  floorPoint(ray) {
    const hit = this.raycast(ray);
    if (!hit || hit.point.y > 0.05 || (hit.normal && hit.normal.y < 0.7)) return null;
    return this.walkableAt(hit.point.x, hit.point.z) ? hit.point.clone() : null;
  }

  /** The portal whose doorway contains the point (x, z), if any. */
  portalAt(position) {
    const local = new THREE.Vector3();
    for (const portal of this.portals) {
      local.copy(position).applyMatrix4(portal.inverse);
      const [w, , d] = portal.size;
      if (Math.abs(local.x) < w / 2 && Math.abs(local.z) < Math.max(0.35, d)) return portal;
    }
    return null;
  }

  dispose() {
    this.root.traverse((obj) => {
      if (!obj.isMesh) return;
      obj.geometry.dispose();
      for (const m of [].concat(obj.material)) {
        for (const value of Object.values(m)) if (value?.isTexture) value.dispose();
        m.dispose();
      }
    });
    this.root.removeFromParent();
  }
}

/** Load a scene's GLB and manifest; onProgress gets 0..1 (the manifest is small: the GLB dominates). */
export async function loadStoreScene(scene, onProgress = () => {}) {
  const [bytes, manifest] = await Promise.all([
    fetchBytes(scene.glb, onProgress),
    fetch(scene.manifest).then((r) => { if (!r.ok) throw new Error(`manifest HTTP ${r.status}`); return r.json(); }),
  ]);
  const gltf = await gltfLoader().parseAsync(bytes, '/scenes/');
  onProgress(1);
  return new StoreScene(gltf, manifest);
}

/** One outline box (a single draw call) that wraps the highlighted product's pick box. */
export class Highlight {
  constructor(color = 0xffd54a) {
    const geometry = new THREE.EdgesGeometry(new THREE.BoxGeometry(1, 1, 1).translate(0, 0.5, 0));
    this.object = new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color, depthTest: false, transparent: true }));
    this.object.renderOrder = 10;
    this.object.visible = false;
    this.object.matrixAutoUpdate = false;
    this.sku = null;
  }

  show(product) {
    this.sku = product?.sku ?? null;
    this.object.visible = Boolean(product);
    if (!product) return;
    const [w, h, d] = product.size;
    const scale = new THREE.Matrix4().makeScale(w * 1.06, h * 1.06, d * 1.06);
    this.object.matrix.copy(product.node.matrixWorld).multiply(scale);
  }
}
