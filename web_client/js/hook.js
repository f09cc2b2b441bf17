// The page's test hook, `window.vrstore`: tests (and curious developers) wait on real conditions and drive
// real code paths through it — clicks still go through the raycaster, portals through the frame loop.
import * as THREE from 'three';

export function installTestHook({ ready, state, stats, enterStore, select, tap, rig, camera, renderer, controls,
  panel, vrPanel, cart, avatars, xr, tags, wrist, advisor, highlight, productList }) {
  function project(sku) {
    const p = state.scene?.products.get(sku);
    if (!p) return null;
    const v = p.world.clone().project(camera);
    const r = renderer.domElement.getBoundingClientRect();
    return { x: r.left + ((v.x + 1) / 2) * r.width, y: r.top + ((1 - v.y) / 2) * r.height, visible: v.z < 1 && Math.abs(v.x) < 1 && Math.abs(v.y) < 1 };
  }

  window.vrstore = {
    ready, state, stats, project,
    /** Switch to another store (or 'plaza') in place, as a portal does. */
    goto: (slug) => enterStore(slug),
    /** Open a product's panel as if it had been clicked (tests may prefer a real click via project()). */
    selectProduct: (sku) => Boolean(select(sku)),
    /** A real raycast at client pixel (x, y), like a click: returns the sku it opened, or null. */
    pickAt: (x, y) => {
      const r = renderer.domElement.getBoundingClientRect();
      return tap(new THREE.Vector2(((x - r.left) / r.width) * 2 - 1, -((y - r.top) / r.height) * 2 + 1));
    },
    /** Turn to face a product from where we stand and step in front of it (so clicks can find it). */
    lookAt: (sku) => {
      const p = state.scene?.products.get(sku);
      if (!p) return false;
      const eye = rig.position.clone().setY(1.6);
      const d = p.world.clone().sub(eye);
      rig.rotation.set(0, Math.atan2(-d.x, -d.z), 0);
      controls.pitch = Math.atan2(d.y, Math.hypot(d.x, d.z));
      return true;
    },
    /** Stand 1.1 m in front of a product (its tag side), facing it. */
    standBefore: (sku, distance = 1.1) => {
      const p = state.scene?.products.get(sku);
      if (!p) return false;
      const q = new THREE.Quaternion().setFromRotationMatrix(p.node.matrixWorld);
      const front = new THREE.Vector3(0, 0, 1).applyQuaternion(q).setY(0).normalize();
      rig.position.copy(p.world).addScaledVector(front, distance).setY(0);
      return window.vrstore.lookAt(sku);
    },
    /** The product the 3D view outlines (the selected one, else the one under the pointer), or null. */
    highlighted: () => highlight.sku,
    /** How squarely the view faces a product: the cosine between where the eyes look (the rig's yaw and the
     * camera's pitch, as the frame loop will draw them) and the way from the eyes to it; 1 is dead ahead. */
    facing: (sku) => {
      const p = state.scene?.products.get(sku);
      if (!p) return null;
      const yaw = rig.rotation.y, pitch = controls.pitch;
      const look = new THREE.Vector3(-Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), -Math.cos(yaw) * Math.cos(pitch));
      return look.dot(p.world.clone().sub(rig.position.clone().setY(1.6)).normalize());
    },
    /** The 2D product list: {open, found, page, pages, skus on the page}. */
    productList: () => productList.describe(),
    productPanel: () => (panel.isOpen ? {
      sku: panel.product.sku, slot: panel.slot, unit_price: panel.product.unit_price, stock: panel.product.stock,
      text: document.getElementById('panel').innerText,
      options: Object.fromEntries(panel.choice.axes.map((a, i) => [a.name, panel.choice.selection[i]])),
      variants: panel.choice.variants.map((v) => v.sku), media: panel.mediaList()[panel.media] ?? null,
      closeup: { running: panel.closeup.running, frames: panel.closeup.frames, triangles: panel.closeup.triangles,
        zoom: panel.closeup.zoom, yaw: panel.closeup.yaw },
    } : null),
    vrPanel: () => (vrPanel.product ? {
      sku: vrPanel.product.sku, qty: vrPanel.qty, note: vrPanel.note, buttons: Object.keys(vrPanel.buttons),
      model: vrPanel.turntable.children.length > 0, axes: vrPanel.choice.axes,
      options: Object.fromEntries(vrPanel.choice.axes.map((a, i) => [a.name, vrPanel.choice.selection[i]])),
    } : null),
    /** The shelf labels on show: [{key: sku, text: [name, price, regular?, looking?]}]. */
    labels: () => tags.labels(),
    cart: () => cart.data,
    lastOrder: () => cart.lastGroup,
    avatars: () => avatars.list(),
    focus: () => Object.fromEntries(state.focus),
    position: () => ({ x: rig.position.x, z: rig.position.z, yaw: rig.rotation.y }),
    teleport: (x, z) => { rig.position.set(x, 0, z); },
    /** Walk into a portal's doorway; the frame loop notices and switches scenes like for a walking shopper. */
    enterPortal: (id) => {
      const portal = state.scene?.portals.find((p) => p.id === id || p.target === id);
      if (!portal) return false;
      const pos = new THREE.Vector3().setFromMatrixPosition(portal.node.matrixWorld);
      rig.position.set(pos.x, 0, pos.z);
      return true;
    },
    portals: () => state.scene?.portals.map((p) => ({ id: p.id, target: p.target })) ?? [],
    /** The advisor: {open, answer, cards: [{store, sku}], glowing: [sku], pulsing, path: {points, arrives, …}, offer}. */
    advisor: () => advisor.info(),
    xr: {
      get presenting() { return xr.presenting; },
      /** Where a controller at `from` (rig-local) must point to hit a product: a rig-local quaternion. */
      aim: (target, from = [0.15, 1.35, -0.1]) => {
        // target: a sku, 'panel:<button>' for the in-world product panel, 'menu:<button>' for the wrist menu.
        let world;
        if (target.startsWith('panel:')) world = vrPanel.buttonWorld(target.slice(6));
        else if (target.startsWith('menu:')) world = wrist.buttonWorld(target.slice(5));
        else world = state.scene?.products.get(target)?.world;
        if (!world) return null;
        rig.updateMatrixWorld();
        const local = rig.worldToLocal(world.clone());
        const origin = new THREE.Vector3(...from);
        const m = new THREE.Matrix4().lookAt(origin, local, new THREE.Vector3(0, 1, 0));
        return { position: from, quaternion: new THREE.Quaternion().setFromRotationMatrix(m).toArray() };
      },
      /** The rig (feet, yaw), the head (rig × headset pose) and the XR camera three renders with, in world space. */
      pose: () => {
        rig.updateMatrixWorld();
        const xrCamera = renderer.xr.getCamera();
        return { rig: { x: rig.position.x, y: rig.position.y, z: rig.position.z, yaw: rig.rotation.y },
          head: xr.head().toArray(), camera: new THREE.Vector3().setFromMatrixPosition(xrCamera.matrixWorld).toArray(),
          userCamera: new THREE.Vector3().setFromMatrixPosition(camera.matrixWorld).toArray() };
      },
      /** Put the rig's feet at (x, z) facing yaw (radians), as locomotion would. */
      place: (x, z, yaw = rig.rotation.y) => { rig.position.set(x, 0, z); rig.rotation.set(0, yaw, 0); rig.updateMatrixWorld(); },
      /** The teleport arc: {aiming, valid, point}. */
      arc: () => ({ aiming: xr.aiming, valid: xr.arc.valid, point: xr.arc.point?.toArray() ?? null,
        marker: xr.marker.visible ? xr.marker.position.toArray() : null }),
      /** Smooth locomotion so far: metres moved, seconds the stick was held, and whether the comfort vignette shows. */
      walked: () => ({ ...xr.walked, vignette: xr.vignette.visible }),
      /** Where the product panel is: its distance from the head and whether it faces it (cosine). */
      panelPlacement: () => {
        if (!vrPanel.mesh.visible) return null;
        const head = xr.head();
        const at = new THREE.Vector3().setFromMatrixPosition(vrPanel.mesh.matrixWorld);
        const normal = new THREE.Vector3(0, 0, 1).transformDirection(vrPanel.mesh.matrixWorld);
        return { distance: at.distanceTo(head), facing: normal.dot(head.clone().sub(at).normalize()) };
      },
      menu: () => ({ visible: wrist.visible, pinned: wrist.pinned, page: wrist.page, buttons: Object.keys(wrist.buttons),
        message: wrist.message, group: wrist.group?.id ?? null, chat: [...wrist.chatLog] }),
      /** Whether the store lets a shopper stand at (x, z). */
      walkableAt: (x, z) => state.scene?.walkableAt(x, z) ?? false,
    },
  };
}
