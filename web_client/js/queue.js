// The festival's waiting line, shown when the live room says "busy" (close 4011): take (or get back) this
// session's ticket, show position, estimated wait and the organizer's message, ask again as the server says,
// and call `onAdmitted` the moment the ticket is admitted (no button to race for).

import { api } from './net.js';
import { lang, pick, t } from '../shared/i18n.js';
import { duration, money } from '../shared/format.js';
import { saleLine } from './locale.js';

const BROWSE_MAX = 40; // the store's products, in 2D, while the live room is full

export class WaitingLine {
  constructor({ element, onAdmitted, products = () => [], festival = () => null }) {
    this.el = element;
    this.onAdmitted = onAdmitted;
    this.products = products;
    this.festivalInfo = festival; // the festival resource: its sale window for the countdown
    this.festival = null;
    this.ticket = null;
    this.timer = null;
    this.firstAhead = null; // the progress bar counts from where the shopper started
  }

  get active() { return this.timer !== null || this.ticket !== null; }

  async start(festival) {
    if (this.active && this.festival === festival) return;
    this.stop();
    this.festival = festival;
    const got = await api(`/api/v1/festivals/${encodeURIComponent(festival)}/queue`, { method: 'POST' });
    this.ticket = got.ticket;
    this.show(got);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.ticket = null;
    this.firstAhead = null;
    this.el.hidden = true;
  }

  /** The store's products as a plain list (names and prices), so the wait is not a blank screen. */
  browse() {
    const list = this.el.querySelector('.browse');
    const items = this.products().slice(0, BROWSE_MAX).map((p) => {
      const li = document.createElement('li');
      li.textContent = `${pick(p.name) || p.sku} · ${money(p.unit_price ?? p.price, p.currency)}`;
      return li;
    });
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
    this.el.querySelector('h3').hidden = items.length === 0;
  }

  async poll() {
    if (!this.ticket) return;
    try {
      const path = `/api/v1/festivals/${encodeURIComponent(this.festival)}/queue/${encodeURIComponent(this.ticket)}`;
      this.show(await api(path));
    } catch {
      this.timer = setTimeout(() => this.poll(), 5000); // a network blip: the place is kept server-side
    }
  }

  show(s) {
    if (s.phase === 'admitted') {
      this.stop();
      this.onAdmitted();
      return;
    }
    if (s.phase === 'lapsed') { // the turn passed unused: line up again, at the back
      const festival = this.festival;
      this.stop();
      this.start(festival);
      return;
    }
    this.el.hidden = false;
    this.browse();
    if (this.firstAhead === null) this.firstAhead = Math.max(1, s.ahead + 1);
    const done = s.position ? Math.round(100 * (1 - (s.position - 1) / this.firstAhead)) : 0;
    this.el.querySelector('.position').textContent = s.phase === 'prequeue'
      ? t('queue.prequeue', { n: s.ahead + 1 })
      : t('queue.position', { n: s.position });
    this.el.querySelector('.eta').textContent = s.paused
      ? t('queue.paused')
      : s.eta_s === null ? t('queue.etaUnknown') : t('queue.eta', { t: duration(s.eta_s * 1000) });
    const bar = this.el.querySelector('[role=progressbar]');
    bar.setAttribute('aria-valuenow', String(done));
    bar.querySelector('.bar').style.width = `${done}%`;
    const info = this.festivalInfo();
    const sale = this.el.querySelector('.sale');
    sale.textContent = info ? saleLine(info.starts_at, info.ends_at) : '';
    sale.hidden = !info;
    const message = s.message ? (s.message[lang()] || s.message.ko || s.message.en) : '';
    const note = this.el.querySelector('.message');
    note.textContent = message || '';
    note.hidden = !message;
    this.timer = setTimeout(() => this.poll(), Math.max(1, s.poll_after_s) * 1000);
  }
}
