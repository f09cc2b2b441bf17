// The header's menu in the compact layout (phones, small windows; app.css "phone layout"): ☰ opens #hud-menu under
// the one-row header with the lobby, the plaza, the product list, the advisor, "Change name" and VR. A choice in it,
// Escape or a tap anywhere else closes it. On a wide screen the same items stand in the header row (the menu box is
// `display: contents` there) and ☰ is not shown, so this code has nothing to do.

export class HudMenu {
  constructor(button, menu) {
    Object.assign(this, { button, menu });
    button.addEventListener('click', () => this.set(!this.open));
    menu.addEventListener('click', (e) => { if (e.target.closest('a, button')) this.set(false); });
    // Capture: the panels and the 3D view stop their pointerdowns from bubbling.
    document.addEventListener('pointerdown', (e) => {
      if (this.open && !menu.contains(e.target) && !button.contains(e.target)) this.set(false);
    }, true);
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !this.open) return;
      this.set(false);
      button.focus();
    });
  }

  get open() { return this.menu.hasAttribute('data-open'); }

  set(open) {
    this.menu.toggleAttribute('data-open', open);
    this.button.setAttribute('aria-expanded', String(open));
    if (open) this.menu.querySelector('a, button:not([hidden])')?.focus({ preventScroll: true });
  }
}
