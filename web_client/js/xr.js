// WebXR: the VR button (three's VRButton), two controllers (or tracked hands) with ray pointers, and the
// locomotion of vrlocomotion.js on the player rig. The camera is a child of the rig and the page renders with
// that camera, so three's WebXRManager composes rig transform × headset pose: teleport, walking and snap turns
// move the rig, and the head follows. Controls: left stick walks (head-relative), right stick left/right snap
// turns 30°, right stick forward aims the teleport arc (release to go; the marker is blue when the spot is
// valid, red when not), trigger (or a pinch) selects, X (or turning the left palm up) opens the wrist menu.
// Without VR everything else works; where a headset was plausible (a phone or a headset's browser with WebXR) the
// page says once why VR is off (shouldTell()), and never on a desktop that simply has no headset.
import * as THREE from 'three';
import { VRButton } from 'three/addons/webxr/VRButton.js';
import { XRHandModelFactory } from 'three/addons/webxr/XRHandModelFactory.js';
import { t } from '../shared/i18n.js';
import { SNAP_ANGLE, headPosition, snapTurn, teleportArc, teleportTo, walk } from './vrlocomotion.js';

const VALID = 0x7fd4ff, INVALID = 0xff5a5a;
const MENU_BUTTON = 4; // xr-standard gamepad: buttons[4] is X on the left controller (A on the right)
const ARC_POINTS = 42; // ARC_SEGMENTS + 2 in vrlocomotion.js

/** Why VR is unavailable here (a translated sentence), or null when an immersive session is possible. */
export async function vrUnavailableReason() {
  if (!('xr' in navigator)) return t(window.isSecureContext ? 'vr.none' : 'vr.insecure');
  try {
    return (await navigator.xr.isSessionSupported('immersive-vr')) ? null : t('vr.unsupported');
  } catch {
    return t('vr.unsupported');
  }
}

const TOLD = 'vrstore.vrNotice'; // set once the "VR unavailable" notice was shown in this browser
// Phones and tablets (the page's touch layout) and headsets' own browsers: where "why no VR" is worth a line.
const HEADSET_UA = /Android|iPhone|iPad|Mobile|OculusBrowser|Quest|Pico|Wolvic/i;

/**
 * Whether to show the reason VR is off: only with WebXR present (a browser without it gets no lecture), on a device
 * where someone may expect VR (a phone or tablet, a headset's browser), and once per browser.
 */
export function shouldTell() {
  if (!('xr' in navigator)) return false;
  const plausible = Boolean(navigator.userAgentData?.mobile) || HEADSET_UA.test(navigator.userAgent)
    || matchMedia('(pointer: coarse)').matches;
  try {
    return plausible && localStorage.getItem(TOLD) === null;
  } catch {
    return false; // no storage, no way to keep it to once: say nothing
  }
}

function tell(statusEl, reason) {
  statusEl.querySelector('.text').textContent = reason;
  statusEl.hidden = false;
  try { localStorage.setItem(TOLD, '1'); } catch { /* shouldTell() said storage works */ }
  statusEl.querySelector('.close').addEventListener('click', () => { statusEl.hidden = true; }, { once: true });
}

/** A thumbstick's {x, y} (xr-standard puts it at axes 2, 3; older layouts at 0, 1). */
function stickOf(controller) {
  const axes = controller.userData.source?.gamepad?.axes;
  if (!axes) return { x: 0, y: 0 };
  return axes.length >= 4 ? { x: axes[2], y: axes[3] } : { x: axes[0] ?? 0, y: axes[1] ?? 0 };
}

export class XRRig {
  /**
   * @param rig the player rig (a Group; the camera is its child)
   * @param onSelect(ray, controller) a controller's select (trigger, or a pinch of a tracked hand), world ray
   * @param onHover(ray) every frame in VR with the active controller's ray
   * @param onMenu() the wrist-menu button (X) was pressed
   */
  constructor({ renderer, rig, camera, onSelect, onHover, onMenu = () => {} }) {
    Object.assign(this, { renderer, rig, camera, onSelect, onHover, onMenu });
    renderer.xr.enabled = true;
    renderer.xr.setReferenceSpaceType('local-floor');
    this.controllers = [];
    this.hands = [];
    this.active = null; // the controller that last pressed its trigger drives hover
    this._turnReady = true;
    this._menuDown = false;
    this.aiming = false; // the teleport arc is out (right stick pushed forward)
    this.arc = { points: [], point: null, valid: false };
    this.walked = { distance: 0, seconds: 0 }; // smooth locomotion so far (tests compare it with speed × time)
    const rayGeometry = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, 0, 0), new THREE.Vector3(0, 0, -1)]);
    const handFactory = new XRHandModelFactory();
    for (let i = 0; i < 2; i++) {
      const controller = renderer.xr.getController(i);
      const line = new THREE.Line(rayGeometry, new THREE.LineBasicMaterial({ color: VALID }));
      line.scale.z = 6;
      line.name = 'ray';
      controller.add(line);
      const hand = new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.03, 0.1), new THREE.MeshStandardMaterial({ color: 0xe0c0a0 }));
      hand.name = 'controller-model';
      controller.add(hand);
      controller.userData.index = i;
      controller.addEventListener('connected', (e) => {
        controller.userData.source = e.data;
        controller.userData.handedness = e.data.handedness;
        hand.visible = !e.data.hand; // a tracked hand draws its own joints
        if (e.data.handedness !== 'left') this.active ??= controller;
      });
      controller.addEventListener('disconnected', () => { controller.userData.source = null; if (this.active === controller) this.active = null; });
      // A select is a trigger pull on a controller and a pinch on a tracked hand (the WebXR primary action).
      controller.addEventListener('select', () => { this.active = controller; this.onSelect(this.ray(controller), controller); });
      rig.add(controller);
      this.controllers.push(controller);
      const tracked = renderer.xr.getHand(i);
      tracked.add(handFactory.createHandModel(tracked, 'boxes')); // primitives: nothing fetched from elsewhere
      rig.add(tracked);
      this.hands.push(tracked);
    }
    this.marker = new THREE.Mesh(new THREE.RingGeometry(0.18, 0.25, 32).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: VALID, transparent: true, opacity: 0.85 }));
    this.marker.visible = false;
    const arcGeometry = new THREE.BufferGeometry();
    arcGeometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(ARC_POINTS * 3), 3));
    this.arcLine = new THREE.Line(arcGeometry, new THREE.LineBasicMaterial({ color: VALID }));
    this.arcLine.frustumCulled = false;
    this.arcLine.visible = false;
    this.vignette = comfortVignette();
    camera.add(this.vignette);
    this._raycaster = new THREE.Raycaster();
    this._m = new THREE.Matrix4();
  }

  get presenting() { return this.renderer.xr.isPresenting; }

  /** Add the marker and arc to the world (they live in world space, not on the rig). */
  addTo(world) { world.add(this.marker, this.arcLine); }

  /** Mount the VR button into `container`; without VR, tell why in `statusEl` when that is worth it (shouldTell). */
  async mount(container, statusEl) {
    const reason = await vrUnavailableReason();
    container.dataset.vr = reason ? 'off' : 'on'; // the check is done (the notice, if any, is up)
    if (reason) {
      if (shouldTell()) tell(statusEl, reason);
      return false;
    }
    const button = VRButton.createButton(this.renderer, { optionalFeatures: ['local-floor', 'bounded-floor', 'hand-tracking'] });
    button.id = 'vr-button';
    button.style.position = 'static';
    container.append(button);
    return true;
  }

  /** The controller held in a hand ('left' / 'right'), by what the device reported. */
  side(handedness) {
    return this.controllers.find((c) => c.userData.handedness === handedness) ?? null;
  }

  /** A controller's world-space ray. */
  ray(controller) {
    controller.updateWorldMatrix(true, false);
    this._m.identity().extractRotation(controller.matrixWorld);
    const ray = new THREE.Ray();
    ray.origin.setFromMatrixPosition(controller.matrixWorld);
    ray.direction.set(0, 0, -1).applyMatrix4(this._m).normalize();
    return ray;
  }

  /** The head's world position (rig × headset pose). */
  head() { return headPosition(this.camera); }

  /** Teleport: the head over the point, keeping the heading. */
  teleport(point) { teleportTo(this.rig, this.camera, point); }

  /** Both controllers' world poses as [[p, q], [p, q]] for the pose frame's hands, or null. */
  handPoses() {
    if (!this.presenting || this.controllers.some((c) => !c.userData.source)) return null;
    return this.controllers.map((c) => {
      const p = new THREE.Vector3(), q = new THREE.Quaternion();
      c.matrixWorld.decompose(p, q, new THREE.Vector3());
      return [p.toArray(), q.toArray()];
    });
  }

  /**
   * Per frame in VR. `scene` gives {walkable(x, z), meshes (solid geometry for the arc), floorPoint(ray)}.
   * Returns the teleport point when a released arc landed somewhere valid (already applied).
   */
  update(dt, scene) {
    if (!this.presenting || !scene) {
      this.marker.visible = false; this.arcLine.visible = false; this.vignette.visible = false;
      return null;
    }
    const left = this.side('left') ?? this.controllers[1];
    const right = this.side('right') ?? this.controllers[0];
    // Left stick: smooth locomotion, head-relative; frame-rate independent (distance = speed × dt).
    const stick = stickOf(left);
    const moved = walk(this.rig, this.camera, stick, dt, scene.walkable);
    const pushed = Math.hypot(stick.x, stick.y) >= 0.15;
    if (pushed) { this.walked.distance += moved; this.walked.seconds += dt; }
    // Comfort: the edges of the view darken while walking smoothly (less vection), and clear when stopped.
    const fade = this.vignette.material;
    fade.opacity = THREE.MathUtils.damp(fade.opacity, pushed ? 0.85 * Math.min(1, Math.hypot(stick.x, stick.y)) : 0, 8, dt);
    this.vignette.visible = fade.opacity > 0.02;
    // X on the left controller: the wrist menu.
    const menuDown = Boolean(left.userData.source?.gamepad?.buttons?.[MENU_BUTTON]?.pressed);
    if (menuDown && !this._menuDown) this.onMenu();
    this._menuDown = menuDown;
    // Right stick: a flick left/right snap-turns once (back to centre before the next); forward aims a teleport.
    const r = stickOf(right);
    if (Math.abs(r.x) > 0.7 && this._turnReady && !this.aiming) { snapTurn(this.rig, this.camera, -Math.sign(r.x) * SNAP_ANGLE); this._turnReady = false; }
    if (Math.abs(r.x) < 0.3) this._turnReady = true;
    let landed = null;
    if (r.y < -0.6) {
      const from = this.ray(right);
      // The arc is a few dozen raycasts: recompute it only when the hand has moved (a held pose costs nothing).
      if (!this.aiming || !this._arcFrom || from.origin.distanceToSquared(this._arcFrom.origin) > 1e-5
        || from.direction.dot(this._arcFrom.direction) < 0.99996) {
        this.arc = teleportArc(from, (ray, far) => this._solid(scene.meshes, ray, far), scene.walkable);
        this._arcFrom = from;
      }
      this.aiming = true;
      this._showArc();
    } else if (this.aiming && Math.abs(r.y) < 0.3) {
      this.aiming = false;
      this.arcLine.visible = false;
      if (this.arc.valid) { this.teleport(this.arc.point); landed = this.arc.point.clone(); }
    }
    const controller = this.active ?? right;
    const ray = this.ray(controller);
    if (!this.aiming) { // the plain ray shows where a trigger pull on the floor would take you
      const floor = scene.floorPoint(ray);
      this.marker.visible = Boolean(floor);
      if (floor) { this.marker.position.copy(floor).setY(0.01); this.marker.material.color.setHex(VALID); }
    }
    this.onHover(ray);
    return landed;
  }

  _showArc() {
    const { points, point, valid } = this.arc;
    const attr = this.arcLine.geometry.getAttribute('position');
    for (let i = 0; i < ARC_POINTS; i++) {
      const p = points[Math.min(i, points.length - 1)];
      attr.setXYZ(i, p.x, p.y, p.z);
    }
    attr.needsUpdate = true;
    this.arcLine.visible = true;
    this.arcLine.material.color.setHex(valid ? VALID : INVALID);
    this.marker.visible = Boolean(point);
    if (point) { this.marker.position.copy(point).setY(0.01); this.marker.material.color.setHex(valid ? VALID : INVALID); }
  }

  _solid(meshes, ray, far) {
    this._raycaster.ray.copy(ray);
    this._raycaster.near = 0;
    this._raycaster.far = far;
    const hit = this._raycaster.intersectObjects(meshes, false).find((h) => !h.object.material?.transparent);
    if (!hit) return null;
    return { point: hit.point, normal: hit.face ? hit.face.normal.clone().transformDirection(hit.object.matrixWorld) : null };
  }
}

/** A plane just in front of the eyes, clear in the middle and dark at the edges; its opacity is set per frame. */
function comfortVignette() {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 128;
  const ctx = canvas.getContext('2d');
  const gradient = ctx.createRadialGradient(64, 64, 26, 64, 64, 64);
  gradient.addColorStop(0, 'rgba(0, 0, 0, 0)');
  gradient.addColorStop(1, 'rgba(0, 0, 0, 1)');
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, 128, 128);
  const texture = new THREE.CanvasTexture(canvas);
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(0.9, 0.9), new THREE.MeshBasicMaterial({
    map: texture, transparent: true, opacity: 0, depthTest: false, depthWrite: false, toneMapped: false }));
  mesh.position.set(0, 0, -0.25);
  mesh.renderOrder = 100;
  mesh.visible = false;
  mesh.name = 'comfort-vignette';
  return mesh;
}
