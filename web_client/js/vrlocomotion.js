// VR locomotion on the player rig (a Group whose child is the camera; the headset pose is the camera's local
// transform, so the head's world pose = rig transform × headset pose). Everything here moves the rig, never
// the camera: smooth walking on the left thumbstick (speed × dt, so any frame rate covers the same ground),
// snap turns on the right thumbstick about the head (the head stays where it is), and teleport along a
// parabolic arc from a controller to the floor. The store's walkable rectangles are the one rule for where a
// shopper may stand (desktop walking in controls.js uses the same `walkable(x, z)`); shelves and walls are
// outside them, and an arc that strikes one before the floor is refused.
import * as THREE from 'three';

export const WALK_SPEED = 1.6; // m/s: slower than desktop walking, kinder to the inner ear
export const SNAP_ANGLE = THREE.MathUtils.degToRad(30);
const DEAD_ZONE = 0.15;
const ARC_SPEED = 7; // m/s launch speed of the teleport arc (lands ~5 m ahead when aimed 30° up)
const GRAVITY = 9.8;
const ARC_STEP = 0.05; // s per arc segment (each one is a raycast: few and long enough)
const ARC_SEGMENTS = 40;

const _head = new THREE.Vector3();
const _dir = new THREE.Vector3();

/** The head's world position (rig × headset pose). */
export function headPosition(camera, out = new THREE.Vector3()) {
  camera.updateWorldMatrix(true, false);
  return out.setFromMatrixPosition(camera.matrixWorld);
}

/** The head's heading on the floor: a unit vector in xz (where "forward" on the thumbstick goes). */
export function headForward(camera, out = new THREE.Vector3()) {
  camera.updateWorldMatrix(true, false);
  out.set(0, 0, -1).transformDirection(camera.matrixWorld).setY(0);
  if (out.lengthSq() < 1e-6) out.set(0, 0, -1).transformDirection(camera.parent?.matrixWorld ?? camera.matrixWorld).setY(0);
  return out.normalize();
}

/**
 * Smooth locomotion: move the rig by the thumbstick (x right, y forward-negative as on an xr-standard gamepad)
 * for `dt` seconds. Each axis is stepped separately so a shelf stops you but you slide along it; the test is
 * made where the head is (a shopper who walked away from the rig origin in their room is judged where they
 * stand). Returns the distance actually moved.
 */
export function walk(rig, camera, stick, dt, walkable, speed = WALK_SPEED) {
  let { x, y } = stick;
  const len = Math.hypot(x, y);
  if (len < DEAD_ZONE || dt <= 0) return 0;
  if (len > 1) { x /= len; y /= len; }
  const forward = headForward(camera, _dir);
  const fwd = -y * speed * dt, side = x * speed * dt;
  // right = forward × up = (-fz, 0, fx)
  const dx = forward.x * fwd - forward.z * side;
  const dz = forward.z * fwd + forward.x * side;
  const head = headPosition(camera, _head);
  const before = rig.position.clone();
  if (walkable(head.x + dx, head.z)) rig.position.x += dx;
  if (walkable(rig.position.x - before.x + head.x, head.z + dz)) rig.position.z += dz;
  rig.updateMatrixWorld(true);
  return before.distanceTo(rig.position);
}

/** Snap turn: rotate the rig by `angle` about the vertical line through the head, so the head does not move. */
export function snapTurn(rig, camera, angle) {
  const head = headPosition(camera, _head);
  const offset = rig.position.clone().sub(head).applyAxisAngle(new THREE.Vector3(0, 1, 0), angle);
  rig.position.copy(head).add(offset).setY(rig.position.y);
  rig.rotation.y += angle;
  rig.updateMatrixWorld(true);
}

/**
 * Teleport: put the head (not the rig origin) over `point`, keeping the heading — the shopper arrives where the
 * marker was, even if they stand away from the centre of their play space.
 */
export function teleportTo(rig, camera, point) {
  const head = headPosition(camera, _head);
  rig.position.x += point.x - head.x;
  rig.position.z += point.z - head.z;
  rig.position.y = 0;
  rig.updateMatrixWorld(true);
}

/**
 * The teleport arc from a world ray: the points of the parabola (for drawing), where it ends, and whether that
 * end is a valid place to stand — on the floor, inside the walkable area, with nothing solid (a shelf, a wall)
 * struck on the way. `solid(segmentRay, length)` returns the first hit {point, normal} within `length`, or null.
 */
export function teleportArc(ray, solid, walkable) {
  const points = [ray.origin.clone()];
  const velocity = ray.direction.clone().multiplyScalar(ARC_SPEED);
  const p = ray.origin.clone();
  const segment = new THREE.Ray();
  for (let i = 0; i < ARC_SEGMENTS; i++) {
    const next = p.clone().addScaledVector(velocity, ARC_STEP);
    next.y -= 0.5 * GRAVITY * ARC_STEP * ARC_STEP;
    velocity.y -= GRAVITY * ARC_STEP;
    const length = next.distanceTo(p);
    segment.origin.copy(p);
    segment.direction.copy(next).sub(p).normalize();
    const hit = solid(segment, length);
    if (hit) {
      points.push(hit.point.clone());
      const floor = hit.point.y < 0.05 && (!hit.normal || hit.normal.y > 0.7);
      return { points, point: hit.point.clone().setY(0), valid: floor && walkable(hit.point.x, hit.point.z) };
    }
    if (next.y <= 0) { // no floor mesh under this spot: the arc meets the floor plane
      const t = p.y / (p.y - next.y);
      const end = p.clone().lerp(next, t).setY(0);
      points.push(end);
      return { points, point: end, valid: walkable(end.x, end.z) };
    }
    points.push(next);
    p.copy(next);
  }
  return { points, point: null, valid: false };
}
