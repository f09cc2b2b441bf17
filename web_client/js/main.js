// The store page: wires scene, controls, XR, live socket, avatars, cart and overlays together, and runs
// the render loop (renderer.setAnimationLoop, so the same loop drives WebXR). Walking through a portal
// swaps the scene and the live connection without reloading the page.
import * as THREE from 'three';
import { langToggle, saleLine } from './locale.js';
import { applyDom, lang, onLangChange, pick, t } from '../shared/i18n.js';
import { api, createSession, currentSession, encodePose, forgetResume, LiveSocket } from './net.js';
import { CLOSE, CLOSE_NAMES } from '../shared/protocol.js';
import { WaitingLine } from './queue.js';
import { Highlight, loadStoreScene } from './scene.js';
import { Controls } from './controls.js';
import { XRRig } from './xr.js';
import { WristMenu } from './vrmenu.js';
import { VRPanel } from './vrpanel.js';
import { Avatars } from './avatars.js';
import { Cart } from './cart.js';
import { CartView } from './cartview.js';
import { problemText } from '../shared/problems.js';
import { PriceTags } from './tags.js';
import { Chat, ProductPanel, askName, progress, setLiveStatus, showStats, toast } from './ui.js';
import { FocusCounts } from './focus.js';
import { groupIndex, withDefaults } from './variants.js';
import { productModel } from './closeup.js';
import { friendlyName, rememberName, storedName } from './names.js';
import { HudMenu } from './hudmenu.js';
import { ProductList } from './productlist.js';
import { storeRenderer } from './nogl.js';
import { Advisor } from './advisor.js';
import { Recommend } from './recommend.js';

const params = new URLSearchParams(location.search);
const SHOW_STATS = params.get('stats') === '1';
// ?maxfps=N caps the frame rate outside VR (low-power devices, several tabs or test browsers sharing a CPU).
const MIN_FRAME_MS = params.get('maxfps') ? 1000 / Math.max(1, Number(params.get('maxfps'))) : 0;
// Whether the server marked this page for browser tests (VRSTORE_TEST_HOOKS): the test hook below, and the frame
// cap in an emulated headset, which renders both eyes on the CPU. A real headset is never capped (a skipped
// frame there is a comfort problem).
const UNDER_TEST = Boolean(document.querySelector('meta[name="vrstore-test-hook"]'));
const EMOTES = [['wave', '👋'], ['clap', '👏'], ['heart', '❤️'], ['thumbs_up', '👍'], ['cheer', '🎉']];

const state = {
  festival: null, store: null, detail: null, scene: null, products: new Map(), groups: new Map(),
  focus: new FocusCounts(), // others' focus per slot sku ("N looking" leaves the shopper out)
  live: null, liveState: 'idle', session: null, hovered: null, selected: null, focusSent: undefined,
  switching: false, portalArmed: false, loads: 0, loadMs: null, interactiveAt: null, error: null, frameMs: 0,
  frames: 0, // frames rendered (the loop may skip animation frames when ?maxfps= caps the rate)
};
let markReady;
const ready = new Promise((resolve) => { markReady = resolve; });

// ------------------------------------------------------------------ renderer, camera, rig
const renderer = storeRenderer({ antialias: true, powerPreference: 'high-performance' });
const has3d = !renderer.flat; // without WebGL the store is its product list (nogl.js)
renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
renderer.setSize(innerWidth, innerHeight);
renderer.outputColorSpace = THREE.SRGBColorSpace;
renderer.toneMapping = THREE.ACESFilmicToneMapping;
renderer.domElement.setAttribute('role', 'img'); // named in hud()
document.getElementById('app').append(renderer.domElement);
const world = new THREE.Scene();
world.background = new THREE.Color(0xcfe3f2);
world.add(new THREE.HemisphereLight(0xffffff, 0x8a7a66, 1.6)); // the GLB's lights assume the client adds ambient
const camera = new THREE.PerspectiveCamera(70, innerWidth / innerHeight, 0.05, 200);
const rig = new THREE.Group();
rig.add(camera);
world.add(rig);
const highlight = new Highlight();
world.add(highlight.object);
const avatars = new Avatars(world);
const tags = new PriceTags(world, { anisotropy: renderer.capabilities.getMaxAnisotropy() });
const vrPanel = new VRPanel();
world.add(vrPanel.mesh);
addEventListener('resize', () => {
  camera.aspect = innerWidth / innerHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(innerWidth, innerHeight);
});

// ------------------------------------------------------------------ overlays, cart
const cart = new Cart();
const storeName = (slug) => {
  if (slug === 'plaza') return pick(state.festival?.name);
  return pick(state.festival?.stores.find((s) => s.slug === slug)?.name) || slug;
};
const cartView = new CartView(cart, { storeName });
/** The variants of the product at a sku (its group, in the product list's order), fresh objects. */
function variantsOf(sku) {
  const p = state.products.get(sku);
  if (!p) return [];
  return (state.groups.get(p.group) ?? [sku]).map((s) => state.products.get(s)).filter(Boolean);
}
state.variants = variantsOf;
const panel = new ProductPanel({
  onAdd: (product, qty) => addToCart(product, qty),
  onClose: () => { if (state.selected) select(null); },
  onOption: (product) => sendLook('option', product.sku),
  sale: () => state.festival ?? {},
  variants: variantsOf,
  model: (sku) => (has3d ? productModel(state.scene, sku) : null),
  minFrameMs: MIN_FRAME_MS,
});
// The same store as a list (productlist.js): an item opens the panel above, and the view outlines and turns to it.
const productList = new ProductList({
  source: () => ({ products: state.products, groups: state.groups, placed: (sku) => Boolean(state.scene?.products.has(sku)) }),
  onSelect: (sku) => {
    const spot = select(sku) && state.scene?.products.get(sku);
    if (spot && has3d && !xr.presenting) controls.faceTowards(spot.world);
  },
});
const chat = new Chat({
  onSend: (text) => state.live?.send({ type: 'chat', text }),
  onEmote: (name) => state.live?.send({ type: 'emote', name }),
  emotes: EMOTES,
});
cart.addEventListener('change', () => {
  avatars.myGroup = cart.id;
  state.live?.setGroup(cart.data ? cart.id : null);
});
langToggle(document.getElementById('lang'));
onLangChange(() => { panel.render(); recommend.render(); cartView.render(); tags.invalidate(); hud(); productList.render(); });
applyDom(document);
const touch = matchMedia('(pointer: coarse)').matches;
document.getElementById('help').textContent = t(touch ? 'help.touch' : 'help.desktop');
document.getElementById('joystick').hidden = !touch;
if (!has3d) { // nothing to walk: the list is the store
  document.getElementById('help').hidden = true;
  document.getElementById('joystick').hidden = true;
  document.querySelector('#product-list .no3d').hidden = false;
  productList.toggle(true, { remember: false });
}
document.getElementById('to-plaza').addEventListener('click', () => enterStore('plaza'));
new HudMenu(document.getElementById('menu-toggle'), document.getElementById('hud-menu'));
document.getElementById('rename').addEventListener('click', () => rename());

// ------------------------------------------------------------------ input
const raycaster = new THREE.Raycaster();
const pointer = { ndc: null };
const controls = new Controls({
  element: renderer.domElement, rig, camera, joystick: document.getElementById('joystick'),
  walkable: (x, z) => state.scene?.walkableAt(x, z) ?? false,
  onTap: (ndc) => tap(ndc),
});
controls.enabled = has3d;
renderer.domElement.addEventListener('pointermove', (e) => {
  if (e.pointerType !== 'mouse') return;
  const r = renderer.domElement.getBoundingClientRect();
  pointer.ndc = new THREE.Vector2(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1);
});
renderer.domElement.addEventListener('pointerleave', () => { pointer.ndc = null; });
document.addEventListener('pointerlockchange', () => {
  document.getElementById('crosshair').hidden = document.pointerLockElement !== renderer.domElement;
});

function rayAt(ndc) {
  raycaster.setFromCamera(ndc, camera);
  return raycaster.ray.clone();
}

/** A click/tap: a product opens its panel, the floor is walked to. Returns the sku picked, if any. */
function tap(ndc) {
  if (!state.scene) return null;
  const ray = rayAt(ndc);
  const hit = state.scene.pick(ray);
  if (hit) { select(hit.sku); return hit.sku; }
  const floor = state.scene.floorPoint(ray);
  if (floor) controls.walkTo(floor);
  return null;
}

const xr = new XRRig({
  renderer, rig, camera,
  onSelect: (ray) => {
    const item = wrist.hit(ray);
    if (item) return wrist.press(item);
    const button = vrPanel.hit(ray);
    if (button) return vrButton(button);
    const hit = state.scene?.pick(ray);
    if (hit) return select(hit.sku);
    const floor = state.scene?.floorPoint(ray);
    if (floor) xr.teleport(floor);
  },
  onHover: (ray) => hover(wrist.hit(ray) || vrPanel.hit(ray) ? null : state.scene?.pick(ray)?.sku ?? null),
  onMenu: () => wrist.toggle(),
});
xr.addTo(world);
// The shopping advisor: its panel, the answer's glow on the shelves and the walk to a product (advisor.js).
const advisor = new Advisor({
  world, state, select, enterStore, toast, position: () => (xr.presenting ? xr.head() : rig.position),
  cartLines: () => (cart.data?.status === 'open' ? cart.data.lines : []),
});
// Recommendations in the panel (recommend.js): a card opens its product, in its own store (the page goes there first).
const recommend = new Recommend({
  root: document.querySelector('#panel .recommend'),
  onOpen: async (hit) => {
    if (hit.store !== state.store) await enterStore(hit.store);
    const slot = advisor.slotOf({ store: hit.store, product: hit }) ?? (state.products.has(hit.sku) ? hit.sku : null);
    if (slot) select(slot);
  },
});
const wrist = new WristMenu({
  cart, sale: () => state.festival, storeName, form: cartView.form, advisor,
  onChat: (text) => state.live?.send({ type: 'chat', text }),
  onEmote: (name) => state.live?.send({ type: 'emote', name }),
  onPlaza: () => enterStore('plaza'),
  canLeave: () => state.store !== 'plaza' && Boolean(state.festival?.plaza),
  emotes: EMOTES,
});
if (has3d) xr.mount(document.getElementById('vr-slot'), document.getElementById('vr-status'));
renderer.xr.addEventListener('sessionstart', () => { panel.close(); controls.enabled = false; wrist.attach(xr); });
renderer.xr.addEventListener('sessionend', () => { vrPanel.close(); wrist.detach(); controls.enabled = true; });

async function vrButton(name) {
  const action = vrPanel.press(name);
  if (action === 'close') { vrPanel.close(); select(null); }
  if (action === 'add') await addToCart(vrPanel.product, vrPanel.qty);
  if (action === 'option') sendLook('option', vrPanel.product.sku);
  if (vrPanel.product) vrPanel.draw(saleLine(state.festival?.starts_at, state.festival?.ends_at));
}

// ------------------------------------------------------------------ products
function select(sku) {
  const opening = sku !== state.selected;
  state.selected = sku;
  productList.mark(sku);
  const product = sku ? state.products.get(sku) : null;
  highlight.show(sku ? state.scene?.products.get(sku) : null);
  if (!product) { panel.close(); vrPanel.close(); sendFocus(); return null; }
  if (xr.presenting) {
    vrPanel.open(product, camera, { variants: variantsOf(sku), model: productModel(state.scene, sku),
      looking: state.focus.get(sku) });
    vrPanel.draw(saleLine(state.festival?.starts_at, state.festival?.ends_at));
  } else {
    panel.open(product, state.focus.get(sku));
    recommend.show(state.store, sku); // read after the panel is up, never holding it
  }
  sendFocus();
  if (opening) sendLook('panel', sku);
  return product;
}

function hover(sku) {
  if (sku === state.hovered) return;
  state.hovered = sku;
  if (!state.selected) highlight.show(sku ? state.scene?.products.get(sku) : null);
  renderer.domElement.style.cursor = sku ? 'pointer' : '';
  sendFocus();
}

function sendFocus() {
  const sku = state.selected ?? state.hovered ?? null;
  if (sku === state.focusSent || !state.live?.open) return;
  state.focusSent = sku;
  state.focus.sent(sku);
  state.live.send({ type: 'focus', sku });
}

/** A panel opened or another option chosen: counted by the festival's analytics (docs/ANALYTICS.md). */
function sendLook(what, sku) {
  if (state.live?.open) state.live.send({ type: 'look', what, sku });
}

async function addToCart(product, qty) {
  try {
    await cart.add(state.store, product.sku, qty);
    panel.note(t('product.added'));
    vrPanel.note = t('product.added');
    toast(`${pick(product.name)} × ${qty} — ${t('product.added')}`);
  } catch (err) {
    panel.note(problemText(err)); // in the page's language, never the server's English detail
    vrPanel.note = problemText(err);
  }
}

/** A live price/stock change: apply it in place (the pricing rule: floor(base × (100 − festival %) / 100)). */
function applyProduct(msg) {
  if (msg.store !== state.store) return;
  const p = state.products.get(msg.sku);
  if (!p) return;
  if (msg.price !== undefined) p.price = msg.price;
  if (msg.sale_price !== undefined) p.sale_price = msg.sale_price;
  if (msg.stock !== undefined) p.stock = msg.stock;
  if (msg.currency !== undefined) p.currency = msg.currency;
  const base = p.sale_price ?? p.price;
  p.unit_price = Math.floor((base * (100 - (p.festival_percent || 0))) / 100);
  panel.update(p);
  vrPanel.update(p, state.selected ? variantsOf(state.selected) : null);
  tags.invalidate(msg.sku);
  productList.refresh();
  if (panel.product?.sku === msg.sku) {
    // An omitted sale_price may also mean "cleared": confirm the open product with the API.
    api(`/api/v1/stores/${state.store}/products/${encodeURIComponent(msg.sku)}`).then((fresh) => {
      state.products.set(fresh.sku, withDefaults(fresh)); panel.update(fresh); tags.invalidate(fresh.sku);
    }).catch(() => {});
  }
}

// ------------------------------------------------------------------ live
const waiting = new WaitingLine({
  element: document.getElementById('waiting'),
  onAdmitted: () => state.live?.reconnectNow(),
  products: () => [...state.products.values()],
  festival: () => state.festival,
});

/** Why the live connection closed for good, for the shopper (a code we have no words for: the general line). */
function closedText(code) {
  const key = `live.close.${CLOSE_NAMES[code]}`;
  return t(key) === key ? t('live.closed') : t(key);
}

function connectLive() {
  state.live?.close();
  if (!state.session) return;
  const live = new LiveSocket({
    store: state.store, festival: state.festival?.slug, group: cart.data ? cart.id : null, locale: lang(),
    onUnauthorized: () => ensureSession(true),
  });
  state.live = live;
  state.focusSent = undefined;
  live.addEventListener('status', (e) => {
    state.liveState = e.detail.state;
    // Never the raw close reason (`store_closed`): the shopper reads why in the page's language.
    if (e.detail.state === 'closed') setLiveStatus(closedText(e.detail.code), 'closed');
    else if (e.detail.state === 'offline' && e.detail.code === CLOSE.BUSY) {
      setLiveStatus(t('live.busy'), 'offline');
      live.pause(); // no retry loop while waiting: the line says when to come in
      waiting.start(state.festival?.slug).catch((err) => setLiveStatus(t('error.generic', { e: err.message }), 'offline'));
    }
    else if (e.detail.state === 'offline') setLiveStatus(t('live.offline'), 'offline');
    else if (e.detail.state === 'connecting') setLiveStatus(t('live.connecting'), 'connecting');
    else if (e.detail.state === 'open') waiting.stop();
  });
  live.addEventListener('tick', (e) => { avatars.applyTick(e.detail); liveCount(); });
  live.addEventListener('message', (e) => onLive(e.detail));
}

function liveCount() {
  if (state.live?.open) setLiveStatus(t('live.online', { n: avatars.peers.size + 1 }), 'open');
}

function onLive(msg) {
  switch (msg.type) {
    case 'welcome':
      avatars.reset(msg.you.id, msg.peers);
      state.focus.reset(msg.focus || {});
      tags.invalidate();
      liveCount();
      sendFocus();
      // The cart's live events reach us only from now on: re-read it, or a change made between the page's
      // read and this welcome (a friend joining, a line changed) would stay unseen until the next one.
      cart.refresh();
      break;
    case 'product': applyProduct(msg); break;
    case 'cart': cart.onLive(msg); break;
    case 'focus_counts':
      state.focus.apply(msg.counts);
      tags.invalidate();
      if (panel.isOpen) panel.setLooking(state.focus.get(panel.slot));
      if (vrPanel.product && state.selected) { vrPanel.looking = state.focus.get(state.selected); vrPanel.draw(); }
      break;
    case 'chat': chat.add(msg.name, msg.text, msg.id === state.live?.welcome?.you.id); wrist.addChat(msg.name, msg.text); break;
    case 'emote': avatars.emote(msg.id, msg.name); break;
    case 'notice':
      if (msg.kind === 'scene_published' && msg.scene) enterStore(state.store, { push: false, reload: true });
      else toast(noticeText(msg.kind));
      break;
    case 'error': console.warn('live error', msg.code, msg.message); break;
    default: break;
  }
}

/** A notice's text in the current language; kinds without one are shown by name. */
function noticeText(kind) {
  const key = `notice.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

async function ensureSession(force = false) {
  if (!force) state.session = await currentSession();
  if (state.session && !force) return state.session;
  // Nothing blocks the first visit: a made-up name (names.js), which "Change name" can replace at any time.
  let name = storedName();
  const madeUp = !name;
  if (madeUp) { name = friendlyName(); rememberName(name); }
  state.session = await createSession(name, lang());
  if (madeUp) toast(t('name.welcome', { name }), 6000);
  return state.session;
}

/** "Change name": the session's new name (carts and orders show it at once), then a fresh live join, whose
 * welcome names the shopper anew (a resumed seat would keep the old name). */
async function rename() {
  const name = await askName(state.session?.display_name ?? storedName() ?? '');
  if (!name) return;
  try {
    state.session = state.session
      ? await api('/api/v1/sessions/current', { method: 'PATCH', body: { display_name: name } })
      : await createSession(name, lang());
    rememberName(name);
    toast(t('name.changed', { name }));
    if (state.scene && state.store) { forgetResume(state.store); connectLive(); }
  } catch (err) {
    toast(problemText(err));
  }
}

// ------------------------------------------------------------------ scenes
function storeSlugFromPath() {
  const m = location.pathname.match(/^\/store\/([^/]+)/);
  return m ? decodeURIComponent(m[1]) : 'plaza';
}

async function festivalFor(detail) {
  const slug = detail?.festival || params.get('festival') || state.festival?.slug || 'korea-sale-festa';
  if (!state.festival || state.festival.slug !== slug) state.festival = await api(`/api/v1/festivals/${slug}`);
  return state.festival;
}

/** Load a store (or 'plaza') into the page: scene swap, products, spawn, live reconnect. */
async function enterStore(slug, { push = true, reload = false } = {}) {
  if (state.switching || (slug === state.store && !reload)) return;
  state.switching = true;
  const started = performance.now();
  const from = state.store;
  try {
    if (slug !== 'plaza') toastIf(from, slug);
    let detail;
    if (slug === 'plaza') {
      const festival = await festivalFor(null);
      detail = { slug: 'plaza', name: festival.name, kind: 'festival_plaza', scene: festival.plaza };
    } else {
      detail = await api(`/api/v1/stores/${encodeURIComponent(slug)}`);
    }
    if (!detail.scene) throw new Error(t('load.noscene'));
    // The store resource stays small; its products come in one cached, gzipped document.
    const products = slug === 'plaza' ? []
      : Promise.all([api(detail.snapshot), festivalFor(detail)]).then(([snapshot]) => snapshot.products);
    progress(0);
    // The scene downloads beside the products, not after them: on a mobile network that is a round trip saved.
    const [loaded, items] = await Promise.all([loadStoreScene(detail.scene, (f) => progress(f)), products]);
    detail.products = items;
    state.scene?.dispose();
    state.scene = loaded;
    world.add(loaded.root);
    state.store = slug;
    state.detail = detail;
    state.products = new Map(detail.products.map((p) => [p.sku, withDefaults(p)]));
    state.groups = groupIndex(state.products.values());
    productList.refresh();
    state.focus.reset();
    select(null);
    hover(null);
    placeAtArrival(loaded, from);
    tags.setScene(loaded, state);
    avatars.clear();
    if (push && location.pathname !== `/store/${slug}`) history.pushState({ store: slug }, '', `/store/${slug}${location.search}`);
    hud();
    progress(null);
    state.loads += 1;
    state.loadMs = performance.now() - started;
    state.interactiveAt ??= performance.now(); // ms since navigation start: first scene ready to walk and click
    state.portalArmed = false;
    connectLive();
  } catch (err) {
    state.error = err.message;
    progress(1, t('load.failed', { e: err.message }));
  } finally {
    state.switching = false;
  }
}

function toastIf(from, slug) { if (from) toast(t('portal.to', { name: storeName(slug) })); }

/** Arriving through a portal: stand in front of the portal that leads back, facing away from it. */
function placeAtArrival(scene, from) {
  const back = from ? scene.portals.find((p) => p.target === from) : null;
  if (back) {
    const pos = new THREE.Vector3(), q = new THREE.Quaternion();
    back.node.matrixWorld.decompose(pos, q, new THREE.Vector3());
    const out = new THREE.Vector3(0, 0, 1).applyQuaternion(q).setY(0).normalize();
    const spot = pos.clone().addScaledVector(out, 1.6);
    if (scene.walkableAt(spot.x, spot.z)) {
      rig.position.set(spot.x, 0, spot.z);
      rig.rotation.set(0, Math.atan2(-out.x, -out.z) + Math.PI, 0);
      controls.pitch = 0;
      return;
    }
  }
  const s = scene.spawn(Math.floor(Math.random() * 3));
  rig.position.copy(s.position).setY(0);
  rig.rotation.set(0, s.yaw, 0);
  controls.pitch = -0.12;
}

function hud() {
  const name = state.detail ? pick(state.detail.name) : '';
  document.getElementById('store-name').textContent = name;
  document.title = `${name} · vrstore`;
  renderer.domElement.setAttribute('aria-label', t(has3d ? 'store.view' : 'store.no3d', { name }));
  document.getElementById('to-plaza').hidden = state.store === 'plaza' || !state.festival?.plaza;
  document.getElementById('sale-line').textContent = state.festival ? saleLine(state.festival.starts_at, state.festival.ends_at) : '';
}
setInterval(() => { hud(); if (panel.isOpen) panel.render(); }, 1000);

addEventListener('popstate', () => enterStore(storeSlugFromPath(), { push: false }));

// ------------------------------------------------------------------ frame loop
const XR_MAX_DT_S = 0.1;
let lastFrame = performance.now();
const head = { p: new THREE.Vector3(), q: new THREE.Quaternion(), s: new THREE.Vector3() };
let lastPose = 0, lastPoseKey = '', lastHover = 0, statsAt = 0;

function frame(time) {
  const now = performance.now();
  if (MIN_FRAME_MS && (!xr.presenting || UNDER_TEST) && now - lastFrame < MIN_FRAME_MS - 2) return;
  // Up to half a second of movement per frame (a tab coming back from the background does not leap).
  const dt = Math.min(0.5, (now - lastFrame) / 1000);
  lastFrame = now;
  const t0 = performance.now();
  controls.update(dt, xr.presenting);
  vrPanel.tick(dt);
  advisor.update(dt);
  if (state.scene) {
    if (xr.presenting) {
      // A headset draws at 72–120 Hz: a longer frame is a stall, and catching the walk up after it would jolt
      // the view (a comfort problem), so VR locomotion takes at most a tenth of a second per frame.
      xr.update(Math.min(dt, XR_MAX_DT_S), { walkable: (x, z) => state.scene.walkableAt(x, z), meshes: state.scene.pickMeshes,
        floorPoint: (ray) => state.scene.floorPoint(ray) });
      wrist.update();
    }
    else if (time - lastHover > 66) {
      lastHover = time;
      const ndc = controls.locked ? new THREE.Vector2(0, 0) : pointer.ndc;
      hover(ndc ? state.scene.pick(rayAt(ndc))?.sku ?? null : null);
    }
    // Portals: walking into the doorway switches scenes; arm only after standing clear of every portal.
    const portal = state.scene.portalAt(xr.presenting ? xr.head() : rig.position); // in VR: where the head is
    if (!portal) state.portalArmed = true;
    else if (state.portalArmed && !state.switching) enterStore(portal.target);
  }
  camera.updateMatrixWorld();
  avatars.update(camera);
  tags.update(camera);
  sendPose(time);
  // Always the rig's camera: in VR three's WebXRManager sets it to rig transform × headset pose (rendering with
  // renderer.xr.getCamera() instead would drop the rig and draw from the world origin).
  renderer.render(world, camera);
  state.frames += 1;
  state.frameMs = state.frameMs * 0.9 + (performance.now() - t0) * 0.1;
  if (SHOW_STATS && time - statsAt > 250) {
    statsAt = time;
    const s = stats();
    showStats(`draw calls ${s.calls}\ntriangles ${s.triangles}\nframe ${s.frameMs.toFixed(1)} ms\nload ${Math.round(s.loadMs ?? 0)} ms`);
  }
}

function sendPose(time) {
  if (!state.live?.open || time - lastPose < 100) return; // 10 Hz, the tick rate
  camera.matrixWorld.decompose(head.p, head.q, head.s);
  const hands = xr.handPoses();
  const key = `${head.p.toArray().map((v) => v.toFixed(2))}|${head.q.toArray().map((v) => v.toFixed(3))}|${Boolean(hands)}`;
  if (key === lastPoseKey && time - lastPose < 1000) return;
  lastPose = time;
  lastPoseKey = key;
  state.live.sendPose(encodePose(Math.floor(performance.now()), head.p.toArray(), head.q.toArray(), hands));
}

function stats() {
  const info = renderer.info.render;
  return { calls: info.calls, triangles: info.triangles, frameMs: state.frameMs, loadMs: state.loadMs,
    programs: renderer.info.programs?.length ?? 0, geometries: renderer.info.memory.geometries };
}

// ------------------------------------------------------------------ test hook
/** `window.vrstore` exists only when the server marks the page for browser tests (VRSTORE_TEST_HOOKS). */
async function installTestHookIfAsked() {
  if (!UNDER_TEST) return;
  const { installTestHook } = await import('./hook.js');
  installTestHook({ ready, state, stats, enterStore, select, tap, rig, camera, renderer, controls, panel, vrPanel,
    cart, avatars, xr, tags, wrist, advisor, highlight, productList });
}

// ------------------------------------------------------------------ start
(async () => {
  // The test hook's module loads beside the store, not before it: a page under test starts its downloads when a
  // shopper's does, so what the first-load tests measure is the shopper's page.
  const hooked = installTestHookIfAsked();
  const sessionReady = ensureSession().catch((err) => { toast(t('error.generic', { e: err.message })); });
  await enterStore(storeSlugFromPath(), { push: false });
  // Frames start once the first store is in. Before that there is nothing to see behind the loading line, and
  // the first frame's shader compiles would hold up the downloads the store's answer asks for (on a CPU-rendered
  // browser, hundreds of ms).
  renderer.setAnimationLoop(frame);
  await sessionReady;
  await cart.restore();
  cartView.render();
  if (state.session && state.scene && !state.live) connectLive();
  await hooked;
  markReady(true);
})();
