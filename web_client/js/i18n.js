// Korean by default (festival data is Korean first), English switchable; the choice is remembered.
const KEY = 'vrstore.lang';
const listeners = new Set();

const STRINGS = {
  ko: {
    'lobby.title': '축제 로비', 'lobby.stores': '입점 매장', 'lobby.plaza': '축제 광장 입장',
    'lobby.visitors': '{n}명 쇼핑 중', 'lobby.enter': '입장', 'lobby.noscene': '준비 중',
    'sale.endsIn': '세일 종료까지 {t}', 'sale.startsIn': '세일 시작까지 {t}', 'sale.over': '세일 종료',
    'sale.open': '세일 진행 중', 'kind.department_store': '백화점', 'kind.traditional_market': '전통시장',
    'kind.street_district': '골목 상권', 'kind.convenience_store': '편의점', 'kind.brand_shop': '브랜드숍',
    'kind.festival_plaza': '축제 광장',
    'load.scene': '매장을 불러오는 중… {p}%', 'load.failed': '매장을 열 수 없습니다: {e}',
    'load.noscene': '이 매장은 아직 3D 매장이 없습니다.',
    'name.title': '표시 이름', 'name.prompt': '다른 쇼핑객에게 보일 이름을 입력하세요.', 'name.ok': '시작',
    'product.left': '{n}개 남음', 'product.soldout': '품절', 'product.qty': '수량', 'product.add': '장바구니 담기',
    'product.added': '장바구니에 담았습니다', 'product.looking': '{n}명 보는 중', 'product.close': '닫기',
    'cart.title': '장바구니', 'cart.create': '그룹 장바구니 만들기', 'cart.join': '코드로 참여', 'cart.code': '공유 코드',
    'cart.copy': '복사', 'cart.copied': '복사됨', 'cart.members': '참여자', 'cart.empty': '장바구니가 비어 있습니다',
    'cart.by': '{name} 님이 담음', 'cart.subtotal': '소계', 'cart.total': '합계', 'cart.checkout': '결제하기',
    'cart.remove': '삭제', 'cart.leave': '새 장바구니',
    'checkout.delivery': '배송', 'checkout.pickup': '매장 픽업', 'checkout.name': '받는 분', 'checkout.phone': '전화번호',
    'checkout.line1': '주소', 'checkout.city': '도시', 'checkout.postal': '우편번호', 'checkout.slot': '픽업 시간',
    'checkout.card': '결제 토큰', 'checkout.pay': '{total} 결제', 'checkout.done': '주문이 완료되었습니다',
    'checkout.order': '주문 #{id} · {store} · {total}', 'checkout.failed': '결제 실패: {e}',
    'vr.enter': 'VR 입장', 'vr.none': 'VR을 사용할 수 없습니다: 이 브라우저에는 WebXR이 없습니다.',
    'vr.unsupported': 'VR을 사용할 수 없습니다: 연결된 VR 헤드셋이 없습니다.',
    'vr.insecure': 'VR을 사용할 수 없습니다: HTTPS(보안 연결)가 필요합니다.',
    'live.connecting': '연결 중…', 'live.online': '{n}명 함께 쇼핑 중', 'live.offline': '오프라인 — 다시 연결 중',
    'notice.live_degraded': '실시간 연결이 불안정합니다 — 장바구니와 결제는 계속 됩니다',
    'notice.live_restored': '실시간 연결이 복구되었습니다',
    'live.closed': '연결 종료: {e}', 'chat.placeholder': '메시지…', 'chat.send': '보내기',
    'nav.plaza': '광장으로', 'nav.lobby': '로비', 'help.desktop': 'WASD 이동 · 드래그로 보기 · 클릭: 상품/이동 · L: 마우스 잠금',
    'help.touch': '왼쪽 조이스틱 이동 · 드래그로 보기 · 탭: 상품/이동',
    'error.generic': '오류: {e}', 'portal.to': '{name}(으)로 이동 중…',
  },
  en: {
    'lobby.title': 'Festival lobby', 'lobby.stores': 'Stores', 'lobby.plaza': 'Enter the festival plaza',
    'lobby.visitors': '{n} shopping now', 'lobby.enter': 'Enter', 'lobby.noscene': 'Coming soon',
    'sale.endsIn': 'Sale ends in {t}', 'sale.startsIn': 'Sale starts in {t}', 'sale.over': 'Sale over',
    'sale.open': 'Sale on', 'kind.department_store': 'Department store', 'kind.traditional_market': 'Traditional market',
    'kind.street_district': 'Street district', 'kind.convenience_store': 'Convenience store',
    'kind.brand_shop': 'Brand shop', 'kind.festival_plaza': 'Festival plaza',
    'load.scene': 'Loading the store… {p}%', 'load.failed': 'Cannot open the store: {e}',
    'load.noscene': 'This store has no 3D scene yet.',
    'name.title': 'Display name', 'name.prompt': 'The name other shoppers see.', 'name.ok': 'Start',
    'product.left': '{n} left', 'product.soldout': 'Sold out', 'product.qty': 'Quantity', 'product.add': 'Add to cart',
    'product.added': 'Added to the cart', 'product.looking': '{n} looking', 'product.close': 'Close',
    'cart.title': 'Cart', 'cart.create': 'Start a group cart', 'cart.join': 'Join by code', 'cart.code': 'Share code',
    'cart.copy': 'Copy', 'cart.copied': 'Copied', 'cart.members': 'Members', 'cart.empty': 'The cart is empty',
    'cart.by': 'added by {name}', 'cart.subtotal': 'Subtotal', 'cart.total': 'Total', 'cart.checkout': 'Check out',
    'cart.remove': 'Remove', 'cart.leave': 'New cart',
    'checkout.delivery': 'Delivery', 'checkout.pickup': 'Pickup', 'checkout.name': 'Name', 'checkout.phone': 'Phone',
    'checkout.line1': 'Address', 'checkout.city': 'City', 'checkout.postal': 'Postal code', 'checkout.slot': 'Pickup time',
    'checkout.card': 'Payment token', 'checkout.pay': 'Pay {total}', 'checkout.done': 'Order placed',
    'checkout.order': 'Order #{id} · {store} · {total}', 'checkout.failed': 'Payment failed: {e}',
    'vr.enter': 'Enter VR', 'vr.none': 'VR unavailable: this browser has no WebXR.',
    'vr.unsupported': 'VR unavailable: no VR headset is connected.',
    'vr.insecure': 'VR unavailable: WebXR needs HTTPS (a secure context).',
    'live.connecting': 'Connecting…', 'live.online': '{n} shopping together', 'live.offline': 'Offline — reconnecting',
    'notice.live_degraded': 'Live updates are degraded — your cart and checkout still work',
    'notice.live_restored': 'Live updates are back',
    'live.closed': 'Disconnected: {e}', 'chat.placeholder': 'Message…', 'chat.send': 'Send',
    'nav.plaza': 'To the plaza', 'nav.lobby': 'Lobby', 'help.desktop': 'WASD move · drag to look · click: product/walk · L: lock mouse',
    'help.touch': 'Left stick moves · drag to look · tap: product/walk',
    'error.generic': 'Error: {e}', 'portal.to': 'Going to {name}…',
  },
};

export function lang() {
  const saved = localStorage.getItem(KEY);
  return saved === 'en' ? 'en' : 'ko';
}

export function setLang(value) {
  localStorage.setItem(KEY, value === 'en' ? 'en' : 'ko');
  document.documentElement.lang = lang();
  applyDom(document);
  for (const fn of listeners) fn(lang());
}

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function t(key, vars = {}) {
  const text = STRINGS[lang()][key] ?? STRINGS.ko[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** A `{ko, en}` name in the current language (Korean when the English one is missing). */
export function pick(names) {
  if (!names) return '';
  return names[lang()] || names.ko || names.en || '';
}

const formats = new Map();
/** Integer minor units + ISO 4217 code → a localised amount (KRW has no decimals). */
export function money(amount, currency = 'KRW') {
  const key = `${lang()}:${currency}`;
  if (!formats.has(key)) {
    formats.set(key, new Intl.NumberFormat(lang() === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency }));
  }
  const fmt = formats.get(key);
  const digits = fmt.resolvedOptions().maximumFractionDigits;
  return fmt.format(amount / 10 ** digits);
}

/** Milliseconds → "3d 04:05:06" (days only when there are any). */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d ? `${d}${lang() === 'ko' ? '일' : 'd'} ${hms}` : hms;
}

/** The sale countdown line for a sale window (ISO strings or null). */
export function saleLine(startsAt, endsAt, now = Date.now()) {
  const start = startsAt ? Date.parse(startsAt) : null;
  const end = endsAt ? Date.parse(endsAt) : null;
  if (start && now < start) return t('sale.startsIn', { t: duration(start - now) });
  if (end && now < end) return t('sale.endsIn', { t: duration(end - now) });
  if (end) return t('sale.over');
  return t('sale.open');
}

/** Fill every `[data-i18n]` element (text) and `[data-i18n-placeholder]` (placeholder) under root. */
export function applyDom(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export function langToggle(button) {
  const label = () => { button.textContent = lang() === 'ko' ? 'EN' : '한국어'; };
  label();
  button.addEventListener('click', () => { setLang(lang() === 'ko' ? 'en' : 'ko'); label(); });
}

document.documentElement.lang = lang();
