// Focus containment for the store page's dialogs and panels (issue #19): when one opens, focus moves into it; Tab
// and Shift+Tab cycle inside it; Escape closes it; when it closes, focus goes back to what opened it. Traps stack:
// a dialog opened over a panel (the payment approval over the cart) holds the keys until it closes, then the panel
// under it has them again. Clicks elsewhere are not blocked (the product panel and the cart are not modal for the
// mouse: the store stays walkable); only keyboard focus is kept.

const CANDIDATES = 'a[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable="true"]';
const stack = [];

function usable(el) {
  if (el.disabled || el.tabIndex < 0 || el.type === 'hidden' || el.closest('[inert]')) return false;
  return el.checkVisibility ? el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true }) : el.getClientRects().length > 0;
}

/** The Tab stops inside `root`, in order: a named radio group is one stop (its checked radio, else its first). */
export function tabStops(root) {
  const found = [...root.querySelectorAll(CANDIDATES)].filter(usable);
  return found.filter((el) => {
    if (el.type !== 'radio' || !el.name) return true;
    const group = found.filter((r) => r.type === 'radio' && r.name === el.name && r.form === el.form);
    return el === (group.find((r) => r.checked) ?? group[0]);
  });
}

function onKey(e) {
  const top = stack[stack.length - 1];
  if (!top || e.defaultPrevented) return;
  if (e.key === 'Escape') top.escape(e);
  else if (e.key === 'Tab' && !e.altKey && !e.ctrlKey && !e.metaKey) top.tab(e);
}

export class FocusTrap {
  /**
   * @param container the dialog or panel (give it tabindex="-1" when it is focused itself on open)
   * @param onEscape closes it (Escape); null leaves Escape to the browser (a native modal <dialog> cancels itself)
   * @param initial () => the element to focus on open (default: the container itself)
   */
  constructor(container, { onEscape = null, initial = null } = {}) {
    Object.assign(this, { container, onEscape, initial });
    this.opener = null;
  }

  get active() { return stack.includes(this); }

  /** Opened (or shown again with other content): take focus, remembering the element outside that had it. */
  activate() {
    const now = document.activeElement;
    if (now && now !== document.body && !this.container.contains(now)) this.opener = now;
    if (!this.active) {
      if (stack.length === 0) document.addEventListener('keydown', onKey);
      stack.push(this);
    }
    if (!this.container.contains(document.activeElement)) {
      (this.initial?.() ?? this.container).focus({ preventScroll: true });
    }
  }

  /** Closed: let go, and give focus back to the opener unless the shopper has already moved it elsewhere. */
  deactivate() {
    const i = stack.indexOf(this);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) document.removeEventListener('keydown', onKey);
    const back = this.opener;
    this.opener = null;
    const now = document.activeElement;
    const untouched = !now || now === document.body || this.container.contains(now);
    if (untouched && back?.isConnected && usable(back)) back.focus({ preventScroll: true });
  }

  escape(e) {
    if (!this.onEscape) return;
    e.preventDefault();
    e.stopPropagation();
    this.onEscape();
  }

  tab(e) {
    const here = document.activeElement;
    if (here !== this.container && !this.container.contains(here)) return; // the shopper clicked elsewhere
    e.preventDefault();
    const stops = tabStops(this.container);
    if (!stops.length) { this.container.focus({ preventScroll: true }); return; }
    // The next stop after the focused element in document order (it may be the container itself, or an element
    // that is no stop of its own, such as a picture focused by the arrow keys), wrapping at either end.
    const follows = (s) => Boolean(here.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);
    const next = e.shiftKey ? stops.findLast((s) => s !== here && !follows(s)) : stops.find((s) => s !== here && follows(s));
    (next ?? (e.shiftKey ? stops[stops.length - 1] : stops[0])).focus();
  }
}

/** showModal() a native <dialog> under a FocusTrap, released when it closes (Escape is the browser's cancel). */
export function showModal(dialog) {
  const trap = new FocusTrap(dialog);
  const opener = document.activeElement;
  dialog.showModal();
  trap.opener = opener && opener !== document.body && !dialog.contains(opener) ? opener : null;
  trap.activate();
  dialog.addEventListener('close', () => trap.deactivate(), { once: true });
  return trap;
}
