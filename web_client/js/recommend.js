// Recommendations in the product panel (issue 21; docs/API.md, "Recommendations"): rows of small product cards
// under the product — "Shoppers also looked at" and "also bought" (GET …/products/{sku}/recommendations), "Popular
// now" in this store and the shopper's own "Because you looked at …" shelf (GET …/popular) — and the switch that
// turns personal picks off (PUT /api/v1/sessions/current/personalisation). The server shows a pair only once 5
// distinct shoppers made it, so a row is often empty: an empty row is not drawn at all, heading included.
// Everything is read after the panel has opened, never before it: the panel never waits, and an answer that comes
// back after the shopper moved on to another product is dropped. Answers are kept a minute per store and product.
// A card opens that product's panel through `onOpen` (main.js: the card's store first when it is another one).
import { money } from '../shared/format.js';
import { el } from '../shared/dom.js';
import { pick, t } from '../shared/i18n.js';
import { api } from './net.js';

const KEEP_MS = 60_000;
const LIMIT = 8;
const seg = encodeURIComponent;

export class Recommend {
  /**
   * @param root the element in the product panel the rows go in
   * @param onOpen(hit) a card was chosen: open the panel of `hit` (a SearchHit: store, sku, group, name …)
   */
  constructor({ root, onOpen }) {
    this.root = root;
    this.hits = []; // the cards drawn, by their index (data-card)
    this.cache = new Map(); // `${store} ${sku}` → {at, answer: Promise<{recs, popular}>}
    this.current = null; // {store, sku} of the open panel
    this.answer = null; // its answer once read
    this.enabled = null; // personal picks on (true/false), null until read
    root.addEventListener('click', (e) => {
      const card = e.target.closest('button[data-card]');
      if (card) { onOpen(this.hits[Number(card.dataset.card)]); return; }
      if (e.target.closest('button[data-personal]')) this.togglePersonal();
    });
  }

  /** The panel opened on `sku` of `store`: draw what is known (maybe nothing), then read the rest. */
  async show(store, sku) {
    const same = this.current?.store === store && this.current?.sku === sku;
    const want = { store, sku };
    this.current = want;
    if (!same) { this.answer = null; this.render(); } // the same product again keeps its rows while they are read
    try {
      const [answer] = await Promise.all([this.read(store, sku), this.readEnabled()]);
      if (this.current !== want) return; // the shopper moved on
      this.answer = answer;
    } catch {
      // Recommendations are extra: a failed read leaves the panel as it is.
    }
    this.render();
  }

  read(store, sku) {
    const key = `${store} ${sku}`;
    const kept = this.cache.get(key);
    if (kept && performance.now() - kept.at < KEEP_MS) return kept.answer;
    const base = `/api/v1/stores/${seg(store)}`;
    const answer = Promise.all([
      api(`${base}/products/${seg(sku)}/recommendations?limit=${LIMIT}`).catch(() => null),
      api(`${base}/popular?limit=${LIMIT}`).catch(() => null),
    ]).then(([recs, popular]) => ({ recs, popular }));
    this.cache.set(key, { at: performance.now(), answer });
    return answer;
  }

  async readEnabled() {
    if (this.enabled !== null) return;
    try {
      this.enabled = (await api('/api/v1/sessions/current/personalisation')).enabled;
    } catch {
      this.enabled = null; // no session yet: no switch to show
    }
  }

  async togglePersonal() {
    const enabled = !this.enabled;
    try {
      this.enabled = (await api('/api/v1/sessions/current/personalisation',
        { method: 'PUT', body: { enabled } })).enabled;
    } catch {
      return;
    }
    this.cache.clear(); // the personal shelf changes with it
    const at = this.current;
    this.current = null;
    if (at) await this.show(at.store, at.sku);
    this.root.querySelector('button[data-personal]')?.focus();
  }

  /** The rows of the current answer in the page's language (also on a language change). */
  render() {
    this.hits = [];
    const { recs, popular } = this.answer ?? {};
    const here = this.current?.sku;
    const others = (list) => (list ?? []).filter((h) => h.sku !== here);
    const rows = [
      this.row('looked', t('rec.alsoLooked'), others(recs?.also_looked)),
      this.row('bought', t('rec.alsoBought'), others(recs?.also_bought)),
      this.row('popular', t('rec.popular'), others(popular?.items)),
      ...(popular?.because ?? []).map((b) => this.row('because', t('rec.because', { name: pick(b.looked_at.name) }),
        others(b.items))),
    ].filter(Boolean);
    if (this.enabled !== null) {
      rows.push(el('p', { class: 'personal' }, el('button', {
        type: 'button', class: 'btn small', dataset: { personal: this.enabled ? 'on' : 'off' },
      }, t(this.enabled ? 'rec.personalOff' : 'rec.personalOn'))));
    }
    this.root.replaceChildren(...rows);
    this.root.hidden = rows.length === 0;
  }

  /** One titled row of cards, or null when there is nothing to show. */
  row(kind, title, hits) {
    if (!hits.length) return null;
    const id = `rec-${kind}-${this.hits.length}`;
    return el('section', { class: 'rec-row', dataset: { row: kind }, 'aria-labelledby': id },
      el('h3', { id }, title),
      el('ul', {}, ...hits.map((hit) => el('li', {}, this.card(hit)))));
  }

  card(hit) {
    const index = this.hits.push(hit) - 1;
    const price = hit.price_min === hit.price_max ? money(hit.price_min, hit.currency)
      : t('tag.from', { p: money(hit.price_min, hit.currency) });
    const elsewhere = hit.store !== this.current?.store ? t('advisor.elsewhere', { store: pick(hit.store_name) }) : null;
    return el('button', { type: 'button', class: 'rec-card', dataset: { card: String(index), sku: hit.sku, store: hit.store } },
      hit.image ? el('img', { src: hit.image, alt: '', loading: 'lazy' }) : el('span', { class: 'ph', 'aria-hidden': 'true' }), // cards line up
      el('span', { class: 'n' }, pick(hit.name) || hit.sku),
      el('span', { class: hit.on_sale ? 'p sale' : 'p' }, price),
      elsewhere ? el('span', { class: 'where' }, elsewhere) : null);
  }
}
