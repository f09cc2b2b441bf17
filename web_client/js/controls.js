// Walking outside VR. Desktop: WASD/arrows to move, drag (or pointer lock with L) to look, click a product
// to open it or the floor to walk there. Phone: a joystick bottom-left, drag anywhere else to look, tap to
// pick. The player is a "rig" (feet on the floor, yaw); the camera is its child (eye height, pitch).
import * as THREE from 'three';
import { reducedMotion } from './motion.js';

const SPEED = 2.2; // m/s, a brisk shopping walk
const LOOK = 0.0032; // radians per pixel
const TAP_SLOP = 6; // px a press may move and still count as a click/tap
const MAX_STEP_S = 0.05; // the longest single movement step (collision is checked per step)
const EYE = 1.6; // m above the floor
const TURN_RATE = 7; // 1/s: a turn towards a product closes ~70 % of the gap in the first sixth of a second

export class Controls {
  constructor({ element, rig, camera, walkable, onTap, joystick }) {
    Object.assign(this, { element, rig, camera, walkable, onTap });
    this.keys = new Set();
    this.pitch = 0;
    this.target = null; // click-to-walk destination
    this.turn = null; // {yaw, pitch} the view turns to (a product chosen in the list), or null
    this.stick = { x: 0, y: 0 };
    this.enabled = true;
    this._press = null;
    this._forward = new THREE.Vector3();
    this._right = new THREE.Vector3();
    addEventListener('keydown', (e) => this._key(e, true));
    addEventListener('keyup', (e) => this._key(e, false));
    addEventListener('blur', () => this.keys.clear());
    element.addEventListener('pointerdown', (e) => this._down(e));
    element.addEventListener('pointermove', (e) => this._move(e));
    element.addEventListener('pointerup', (e) => this._up(e));
    element.addEventListener('pointercancel', () => { this._press = null; });
    element.addEventListener('contextmenu', (e) => e.preventDefault());
    document.addEventListener('mousemove', (e) => {
      if (document.pointerLockElement === element) this.look(e.movementX, e.movementY);
    });
    if (joystick) this._joystick(joystick);
  }

  get locked() { return document.pointerLockElement === this.element; }

  _key(e, down) {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
    const k = e.key.toLowerCase();
    if (down && k === 'l') {
      if (this.locked) document.exitPointerLock(); else this.element.requestPointerLock?.();
      return;
    }
    if (['w', 'a', 's', 'd', 'q', 'e', 'arrowup', 'arrowdown', 'arrowleft', 'arrowright'].includes(k)) {
      if (down) { this.keys.add(k); this.target = null; this.turn = null; } else this.keys.delete(k);
      e.preventDefault();
    }
  }

  /** Turn the view to a world point (a product chosen in the list): a short glide, instant under reduced motion. */
  faceTowards(point) {
    const d = point.clone().sub(this.rig.position).setY(point.y - EYE);
    const yaw = this.rig.rotation.y + wrapAngle(Math.atan2(-d.x, -d.z) - this.rig.rotation.y);
    const pitch = THREE.MathUtils.clamp(Math.atan2(d.y, Math.hypot(d.x, d.z)), -1.3, 1.3);
    this.turn = { yaw, pitch };
    if (reducedMotion()) this._turn(Infinity);
  }

  _turn(dt) {
    const k = 1 - Math.exp(-TURN_RATE * dt);
    this.rig.rotation.y += (this.turn.yaw - this.rig.rotation.y) * k;
    this.pitch += (this.turn.pitch - this.pitch) * k;
    if (Math.abs(this.turn.yaw - this.rig.rotation.y) + Math.abs(this.turn.pitch - this.pitch) < 1e-3) {
      this.rig.rotation.y = this.turn.yaw;
      this.pitch = this.turn.pitch;
      this.turn = null;
    }
  }

  look(dx, dy) {
    this.turn = null; // the shopper looks around: a glide in progress gives way
    this.rig.rotation.y -= dx * LOOK;
    this.pitch = THREE.MathUtils.clamp(this.pitch - dy * LOOK, -1.3, 1.3);
  }

  _down(e) {
    if (!this.enabled) return;
    this.element.setPointerCapture?.(e.pointerId);
    this._press = { id: e.pointerId, x: e.clientX, y: e.clientY, lastX: e.clientX, lastY: e.clientY, moved: false };
  }

  _move(e) {
    const p = this._press;
    if (!p || p.id !== e.pointerId || this.locked) return;
    if (Math.hypot(e.clientX - p.x, e.clientY - p.y) > TAP_SLOP) p.moved = true;
    if (p.moved) this.look(e.clientX - p.lastX, e.clientY - p.lastY);
    p.lastX = e.clientX; p.lastY = e.clientY;
  }

  _up(e) {
    const p = this._press;
    this._press = null;
    if (!p || p.id !== e.pointerId || p.moved || !this.enabled) return;
    if (this.locked) { this.onTap(new THREE.Vector2(0, 0)); return; } // the crosshair is the pointer
    const rect = this.element.getBoundingClientRect();
    this.onTap(new THREE.Vector2(((e.clientX - rect.left) / rect.width) * 2 - 1, -((e.clientY - rect.top) / rect.height) * 2 + 1));
  }

  _joystick(el) {
    const knob = el.querySelector('.knob');
    let id = null, cx = 0, cy = 0, radius = 48;
    el.addEventListener('pointerdown', (e) => {
      id = e.pointerId; el.setPointerCapture(e.pointerId);
      const r = el.getBoundingClientRect(); cx = r.left + r.width / 2; cy = r.top + r.height / 2;
      radius = r.width * 0.4; // full speed 48 px out on the 120 px pad; the pad's size is the layout's (app.css)
      e.stopPropagation();
    });
    el.addEventListener('pointermove', (e) => {
      if (e.pointerId !== id) return;
      let dx = e.clientX - cx, dy = e.clientY - cy;
      const len = Math.hypot(dx, dy);
      if (len > radius) { dx *= radius / len; dy *= radius / len; }
      this.stick = { x: dx / radius, y: dy / radius };
      this.target = null;
      knob.style.transform = `translate(${dx}px, ${dy}px)`;
    });
    const end = (e) => { if (e.pointerId === id) { id = null; this.stick = { x: 0, y: 0 }; knob.style.transform = ''; } };
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
  }

  walkTo(point) { this.target = point ? point.clone() : null; }

  /** Step `position` towards `next` along each axis separately, so walls stop you but you slide along them. */
  _step(dx, dz) {
    const p = this.rig.position;
    if (this.walkable(p.x + dx, p.z)) p.x += dx;
    if (this.walkable(p.x, p.z + dz)) p.z += dz;
  }

  update(dt, presenting) {
    if (!presenting) {
      this.camera.position.set(0, EYE, 0);
      this.camera.rotation.set(this.pitch, 0, 0);
    }
    if (!this.enabled) return;
    if (this.turn) this._turn(dt);
    // Frame-rate independent: a slow frame (a phone at 3 fps) walks the whole distance its time allows, in
    // sub-steps short enough that the walkable-area check still stops the shopper at a shelf.
    const steps = Math.max(1, Math.ceil(dt / MAX_STEP_S));
    for (let i = 0; i < steps; i++) this._tick(dt / steps);
  }

  _tick(dt) {
    const k = this.keys;
    let fwd = (k.has('w') || k.has('arrowup') ? 1 : 0) - (k.has('s') || k.has('arrowdown') ? 1 : 0) - this.stick.y;
    let side = (k.has('d') ? 1 : 0) - (k.has('a') ? 1 : 0) + this.stick.x;
    const turn = (k.has('q') || k.has('arrowleft') ? 1 : 0) - (k.has('e') || k.has('arrowright') ? 1 : 0);
    this.rig.rotation.y += turn * 1.8 * dt;
    const yaw = this.rig.rotation.y;
    this._forward.set(-Math.sin(yaw), 0, -Math.cos(yaw));
    this._right.set(Math.cos(yaw), 0, -Math.sin(yaw));
    if (this.target && !fwd && !side) {
      const to = this.target.clone().sub(this.rig.position).setY(0);
      const dist = to.length();
      if (dist < 0.05) { this.target = null; return; }
      to.multiplyScalar(Math.min(dist, SPEED * dt) / dist);
      const before = this.rig.position.clone();
      this._step(to.x, to.z);
      if (before.distanceToSquared(this.rig.position) < 1e-8) this.target = null; // blocked
      return;
    }
    const len = Math.hypot(fwd, side);
    if (!len) return;
    fwd /= Math.max(1, len); side /= Math.max(1, len);
    const move = this._forward.clone().multiplyScalar(fwd).addScaledVector(this._right, side).multiplyScalar(SPEED * dt);
    this._step(move.x, move.z);
  }
}

/** An angle brought into [−π, π): the short way round. */
function wrapAngle(a) {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}
