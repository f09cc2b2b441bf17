// The 3D preview: the store's immutable GLB in a three.js viewer with OrbitControls.
// It renders on demand (orbit, resize, load) rather than every frame: a console tab should not spin a GPU.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { gltfLoader } from '../shared/gltf.js';

export class Viewer {
  constructor(canvas) {
    this.canvas = canvas;
    this.url = null;
    try {
      // preserveDrawingBuffer keeps the last frame readable (screenshots, tests) since we render on demand.
      this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    } catch (err) {
      canvas.dataset.state = 'no-webgl';
      this.renderer = null;
      return;
    }
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xdde3ea);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8a80, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(4, 10, 6);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(50, 1, 0.05, 500);
    this.camera.position.set(6, 6, 8);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener('change', () => this.render());
    this.loader = gltfLoader();
    this.root = null;
    // A dollhouse cut: everything above the plane is clipped so the ceiling does not hide the store.
    this.cut = new THREE.Plane(new THREE.Vector3(0, -1, 0), 0);
    this.cutaway = true;
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  resize() {
    if (!this.renderer) return;
    const w = this.canvas.clientWidth || 1;
    const h = this.canvas.clientHeight || 1;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() {
    if (this.renderer) this.renderer.render(this.scene, this.camera);
  }

  clear() {
    if (this.root) {
      this.scene.remove(this.root);
      this.root.traverse((node) => {
        if (node.geometry) node.geometry.dispose();
        const materials = Array.isArray(node.material) ? node.material : node.material ? [node.material] : [];
        for (const m of materials) {
          for (const value of Object.values(m)) if (value && value.isTexture) value.dispose();
          m.dispose();
        }
      });
      this.root = null;
    }
    this.url = null;
    if (this.renderer) this.canvas.dataset.state = 'empty';
    this.render();
  }

  /** Load a GLB (no-op when it is already shown; scene URLs are immutable). */
  async load(url) {
    if (!this.renderer || url === this.url) return;
    this.clear();
    this.url = url;
    this.canvas.dataset.state = 'loading';
    let gltf;
    try {
      gltf = await this.loader.loadAsync(url);
    } catch (err) {
      this.canvas.dataset.state = 'error';
      this.url = null;
      throw err;
    }
    if (this.url !== url) return; // another load started meanwhile
    this.root = gltf.scene;
    this.scene.add(this.root);
    this.frame();
    this.render();
    this.canvas.dataset.state = 'ready';
  }

  setCutaway(on) {
    this.cutaway = on;
    this.applyCut();
    this.render();
  }

  applyCut() {
    if (!this.renderer) return;
    this.renderer.clippingPlanes = this.cutaway && this.root ? [this.cut] : [];
  }

  /** Put the camera at an oblique view of the whole store. */
  frame() {
    const box = new THREE.Box3().setFromObject(this.root);
    if (box.isEmpty()) return;
    this.cut.constant = box.min.y + (box.max.y - box.min.y) * 0.8;
    this.applyCut();
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const radius = Math.max(size.x, size.y, size.z) || 1;
    this.controls.target.copy(centre);
    this.camera.position.set(centre.x + radius * 0.6, centre.y + radius * 0.9, centre.z + radius * 1.1);
    this.camera.near = radius / 500;
    this.camera.far = radius * 20;
    this.camera.updateProjectionMatrix();
    this.controls.update();
  }
}
