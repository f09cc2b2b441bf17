// WebXR: the VR button (three's VRButton), two controllers with ray pointers, teleport on the floor and
// snap turn on the thumbstick. Without WebXR everything else works and the page says why VR is off.
import * as THREE from 'three';
import { VRButton } from 'three/addons/webxr/VRButton.js';
import { t } from '../shared/i18n.js';

const SNAP = THREE.MathUtils.degToRad(30);

/** Why VR is unavailable here (a translated sentence), or null when an immersive session is possible. */
export async function vrUnavailableReason() {
  if (!('xr' in navigator)) return t(window.isSecureContext ? 'vr.none' : 'vr.insecure');
  try {
    return (await navigator.xr.isSessionSupported('immersive-vr')) ? null : t('vr.unsupported');
  } catch {
    return t('vr.unsupported');
  }
}

export class XRRig {
  /**
   * @param onSelect(ray, controller) called on a controller's select (trigger) with its world ray
   * @param onHover(ray) called every frame in VR with the active controller's ray
   */
  constructor({ renderer, rig, onSelect, onHover }) {
    Object.assign(this, { renderer, rig, onSelect, onHover });
    renderer.xr.enabled = true;
    renderer.xr.setReferenceSpaceType('local-floor');
    this.controllers = [];
    this.active = null; // the controller that last pressed its trigger drives hover
    this._turnReady = [true, true];
    const rayGeometry = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, 0, 0), new THREE.Vector3(0, 0, -1)]);
    for (let i = 0; i < 2; i++) {
      const controller = renderer.xr.getController(i);
      const line = new THREE.Line(rayGeometry, new THREE.LineBasicMaterial({ color: 0x7fd4ff }));
      line.scale.z = 6;
      line.name = 'ray';
      controller.add(line);
      const hand = new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.03, 0.1), new THREE.MeshStandardMaterial({ color: 0xe0c0a0 }));
      controller.add(hand);
      controller.userData.index = i;
      controller.addEventListener('connected', (e) => { controller.userData.source = e.data; this.active ??= controller; });
      controller.addEventListener('disconnected', () => { controller.userData.source = null; });
      controller.addEventListener('select', () => { this.active = controller; this.onSelect(this.ray(controller), controller); });
      rig.add(controller);
      this.controllers.push(controller);
    }
    this.marker = new THREE.Mesh(new THREE.RingGeometry(0.18, 0.25, 32).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: 0x7fd4ff, transparent: true, opacity: 0.8 }));
    this.marker.visible = false;
    this._ray = new THREE.Ray();
    this._m = new THREE.Matrix4();
  }

  get presenting() { return this.renderer.xr.isPresenting; }

  /** Mount the VR button, or the reason VR is unavailable, into `container`. */
  async mount(container, statusEl) {
    const reason = await vrUnavailableReason();
    if (reason) {
      statusEl.textContent = reason;
      statusEl.hidden = false;
      return false;
    }
    const button = VRButton.createButton(this.renderer, { optionalFeatures: ['local-floor', 'bounded-floor', 'hand-tracking'] });
    button.id = 'vr-button';
    button.style.position = 'static';
    container.append(button);
    return true;
  }

  /** A controller's world-space ray. */
  ray(controller) {
    this._m.identity().extractRotation(controller.matrixWorld);
    const ray = new THREE.Ray();
    ray.origin.setFromMatrixPosition(controller.matrixWorld);
    ray.direction.set(0, 0, -1).applyMatrix4(this._m).normalize();
    return ray;
  }

  /** Teleport: feet to the point, keeping the rig's heading. */
  teleport(point) { this.rig.position.set(point.x, 0, point.z); }

  /** Both controllers' world poses as [[p, q], [p, q]] for the pose frame's hands, or null. */
  hands() {
    if (!this.presenting || this.controllers.some((c) => !c.userData.source)) return null;
    return this.controllers.map((c) => {
      const p = new THREE.Vector3(), q = new THREE.Quaternion();
      c.matrixWorld.decompose(p, q, new THREE.Vector3());
      return [p.toArray(), q.toArray()];
    });
  }

  update(floorPointOf) {
    if (!this.presenting) { this.marker.visible = false; return; }
    // Snap turn: a thumbstick flicked past 0.7 turns 30° once; it must return to centre before the next.
    this.controllers.forEach((c, i) => {
      const axes = c.userData.source?.gamepad?.axes;
      if (!axes) return;
      const x = axes.length >= 4 ? axes[2] : axes[0];
      if (Math.abs(x) > 0.7 && this._turnReady[i]) { this.rig.rotation.y -= Math.sign(x) * SNAP; this._turnReady[i] = false; }
      if (Math.abs(x) < 0.3) this._turnReady[i] = true;
    });
    const controller = this.active ?? this.controllers[0];
    const ray = this.ray(controller);
    const floor = floorPointOf(ray);
    this.marker.visible = Boolean(floor);
    if (floor) this.marker.position.copy(floor).setY(0.01);
    this.onHover(ray);
  }
}
