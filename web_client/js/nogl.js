// The store page without WebGL 2 (a blocklisted GPU, a locked-down or old browser): it still works in 2D — the
// product list, the product panel, the cart and checkout, chat — with this stand-in in the renderer's place. It
// draws nothing and runs no frame loop (nothing would be seen; a low-end device keeps its CPU), offers no VR, and
// answers the few renderer calls the page makes. main.js opens the product list by itself when it gets one.
import * as THREE from 'three';

class FlatXR extends THREE.EventDispatcher {
  constructor() {
    super();
    this.enabled = false;
    this.isPresenting = false;
    this.camera = new THREE.PerspectiveCamera();
  }

  setReferenceSpaceType() {}

  getController() { return new THREE.Group(); }

  getHand() { return new THREE.Group(); }

  getCamera() { return this.camera; }
}

class FlatRenderer {
  constructor() {
    this.flat = true;
    this.domElement = document.createElement('canvas');
    this.capabilities = { getMaxAnisotropy: () => 1 };
    this.info = { render: { calls: 0, triangles: 0 }, programs: [], memory: { geometries: 0 } };
    this.xr = new FlatXR();
  }

  setPixelRatio() {}

  setSize() {}

  setAnimationLoop() {}

  render() {}
}

/** three's WebGLRenderer, or the flat stand-in (its `flat` is true) when the browser cannot give a WebGL context. */
export function storeRenderer(options) {
  try {
    return new THREE.WebGLRenderer(options);
  } catch (err) {
    console.warn('no WebGL: the store opens as a product list', err.message);
    return new FlatRenderer();
  }
}
