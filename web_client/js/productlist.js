// The 2D product list (issue #19): every product of the store as a DOM list beside the 3D view. It is the way in
// for keyboard and screen-reader shoppers and the whole store on a device without WebGL (main.js opens it by
// itself there). Search (either language's name, brand, category), a category filter, a sort, and pages of 24;
// the number found is announced politely. Choosing an item opens the same product panel as a click on the shelf,
// and the 3D view outlines the product and turns to it (main.js's onSelect). One item per product: variants share
// their shelf slot, as in the store, and the item opens that slot.
import { money, locale } from '../shared/format.js';
import { pick, t } from '../shared/i18n.js';
import { el } from '../shared/dom.js';
import { categoryName, categoryNames } from '../shared/categories.js';
import { summary } from './variants.js';

const PAGE_SIZE = 24;
const OPEN_KEY = 'vrstore.productList'; // 'open' once the shopper opened it: it stays open on the next store
const WALK_KEYS = /^(arrow\w+|[wasdqel])$/i; // keys controls.js would walk (or lock the mouse) with

const current = (button, yes) => { if (yes) button.setAttribute('aria-current', 'true'); else button.removeAttribute('aria-current'); };
const fold = (text) => String(text ?? '').normalize('NFKC').toLocaleLowerCase();

/** One list item per product group, from the page's products: what it shows, searches, filters and sorts by. */
function entriesOf({ products, groups, placed }) {
  const out = [];
  for (const skus of groups.values()) {
    const variants = skus.map((sku) => products.get(sku)).filter(Boolean);
    if (!variants.length) continue;
    const slot = variants.find((v) => placed(v.sku)) ?? variants[0];
    const { cheapest, from, stock } = summary(variants);
    const names = typeof slot.name === 'object' && slot.name ? Object.values(slot.name) : [slot.name];
    out.push({
      sku: slot.sku, product: slot, price: cheapest.unit_price, currency: cheapest.currency, from, stock,
      category: (slot.category || '').split('>')[0].trim(),
      words: fold([...names, slot.brand, ...categoryNames(slot.category), ...variants.map((v) => v.sku)].join(' ')),
    });
  }
  return out;
}

export class ProductList {
  /**
   * @param source () => {products: Map sku → product, groups: Map group → skus, placed: sku → on a shelf}
   * @param onSelect(sku) an item was chosen
   */
  constructor({ source, onSelect }) {
    this.el = document.getElementById('product-list');
    this.toggleButton = document.getElementById('list-toggle');
    this.form = this.el.querySelector('form');
    this.items = this.el.querySelector('.items');
    this.source = source;
    this.onSelect = onSelect;
    this.entries = null; // none read yet (the store is still loading): nothing to count
    this.shown = []; // the entries that pass the search and the filter, sorted
    this.page = 0;
    this.selected = null;
    this.nodes = new Map(); // sku → its <li>, kept across renders so a focused item keeps the focus
    this.seen = null; // the products Map last read: a new one is another store
    this.form.addEventListener('submit', (e) => { // Enter in the search: on to the results
      e.preventDefault();
      this.items.querySelector('button')?.focus();
    });
    this.form.addEventListener('input', () => { this.page = 0; this.render(); });
    this.el.querySelector('.pager').addEventListener('click', (e) => {
      const step = e.target.closest('[data-step]');
      if (step) this.turn(Number(step.dataset.step));
    });
    this.items.addEventListener('click', (e) => {
      const item = e.target.closest('button[data-sku]');
      if (item) this.onSelect(item.dataset.sku);
    });
    this.el.addEventListener('keydown', (e) => this.key(e));
    this.el.addEventListener('pointerdown', (e) => e.stopPropagation()); // not a look-around drag of the store
    this.el.querySelector('[data-action=close]').addEventListener('click', () => this.toggle(false));
    this.toggleButton.addEventListener('click', () => this.toggle(this.el.hidden, { focus: true }));
    document.querySelector('.skip-link').addEventListener('click', (e) => {
      e.preventDefault();
      this.toggle(true, { focus: true });
    });
    if (localStorage.getItem(OPEN_KEY) === 'open') this.toggle(true, { remember: false });
  }

  get isOpen() { return !this.el.hidden; }

  /** Open or close; `focus` moves the keyboard into the list (the skip link, the HUD button). */
  toggle(open, { focus = false, remember = true } = {}) {
    this.el.hidden = !open;
    this.toggleButton.setAttribute('aria-expanded', String(open));
    if (remember) localStorage.setItem(OPEN_KEY, open ? 'open' : 'closed');
    if (open) {
      this.render();
      if (focus) this.el.focus({ preventScroll: true });
    } else if (this.el.contains(document.activeElement)) {
      this.toggleButton.focus({ preventScroll: true });
    }
  }

  /** The store's products changed (another store, a live price or stock): read them again. */
  refresh() {
    const source = this.source();
    if (source.products !== this.seen) this.page = 0; // another store (a live change edits the same Map)
    this.seen = source.products;
    this.entries = entriesOf(source);
    const skus = new Set(this.entries.map((e) => e.sku));
    for (const sku of this.nodes.keys()) if (!skus.has(sku)) this.nodes.delete(sku);
    this.categories();
    if (this.isOpen) this.render();
  }

  /** The product selected in 3D or here: marked in the list. */
  mark(sku) {
    this.selected = sku;
    for (const [key, li] of this.nodes) current(li.firstElementChild, key === sku);
  }

  turn(step) {
    const pages = Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE));
    this.page = Math.min(pages - 1, Math.max(0, this.page + step));
    this.render();
    const pager = document.activeElement?.closest?.('.pager');
    if (pager && document.activeElement.disabled) this.items.querySelector('button')?.focus(); // the end was reached
  }

  key(e) {
    if (!WALK_KEYS.test(e.key) || e.target.matches('input, select')) return;
    e.stopPropagation(); // keys in the list never walk the shopper
    const item = e.target.closest('.items li');
    if (!item || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
    e.preventDefault();
    const next = e.key === 'ArrowDown' ? item.nextElementSibling : item.previousElementSibling;
    next?.firstElementChild.focus();
  }

  /** The category filter's options: each top category once, named and sorted in the page's language. */
  categories() {
    if (!this.entries) return;
    const select = this.form.category;
    const chosen = select.value;
    const names = [...new Set(this.entries.map((e) => e.category).filter(Boolean))]
      .map((name) => [name, categoryName(name)]).sort((a, b) => a[1].localeCompare(b[1], locale()));
    const key = names.map(([, label]) => label).join('\n');
    if (select.dataset.names === key) return; // unchanged: an open picker stays as it is
    select.dataset.names = key;
    select.replaceChildren(el('option', { value: '' }, t('list.allCategories')),
      ...names.map(([name, label]) => el('option', { value: name, selected: name === chosen }, label)));
  }

  /** The entries that match the search words (all of them) and the category, in the chosen order. */
  filtered() {
    const words = fold(this.form.q.value).split(/\s+/).filter(Boolean);
    const category = this.form.category.value;
    const found = this.entries.filter((e) => (!category || e.category === category) && words.every((w) => e.words.includes(w)));
    const byName = (a, b) => pick(a.product.name).localeCompare(pick(b.product.name), locale());
    const sort = this.form.sort.value;
    if (sort === 'price-asc') return found.sort((a, b) => a.price - b.price || byName(a, b));
    if (sort === 'price-desc') return found.sort((a, b) => b.price - a.price || byName(a, b));
    return found.sort(byName);
  }

  render() {
    if (!this.isOpen) return;
    this.categories(); // in the page's language, which may have changed
    this.form.category.firstElementChild.textContent = t('list.allCategories');
    this.shown = this.entries ? this.filtered() : [];
    const pages = Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE));
    this.page = Math.min(this.page, pages - 1);
    const slice = this.shown.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    this.items.replaceChildren(...slice.map((entry) => this.item(entry)));
    let count = t('list.count', { n: this.shown.length });
    if (!this.entries) count = '';
    else if (!this.shown.length) count = this.entries.length ? t('list.none') : t('list.empty');
    const status = this.el.querySelector('.count');
    if (status.textContent !== count) status.textContent = count; // the same words are not announced again
    const pager = this.el.querySelector('.pager');
    pager.hidden = pages < 2;
    pager.querySelector('[data-step="-1"]').disabled = this.page === 0;
    pager.querySelector('[data-step="1"]').disabled = this.page >= pages - 1;
    pager.querySelector('.page-of [aria-hidden]').textContent = `${this.page + 1}/${pages}`; // "1/3" to the eye
    pager.querySelector('.page-of .sr').textContent = t('list.pageOf', { n: this.page + 1, total: pages });
  }

  item(entry) {
    let li = this.nodes.get(entry.sku);
    if (!li) {
      li = el('li', {}, el('button', { type: 'button', class: 'item', dataset: { sku: entry.sku } },
        el('span', { class: 'n' }), el('span', { class: 'meta' })));
      this.nodes.set(entry.sku, li);
    }
    const button = li.firstElementChild;
    const price = money(entry.price, entry.currency);
    const meta = [categoryName(entry.category), entry.from ? t('tag.from', { p: price }) : price];
    if (entry.stock <= 0) meta.push(t('product.soldout'));
    button.querySelector('.n').textContent = pick(entry.product.name) || entry.sku;
    button.querySelector('.meta').textContent = meta.filter(Boolean).join(' · ');
    button.classList.toggle('soldout', entry.stock <= 0);
    current(button, entry.sku === this.selected);
    return li;
  }

  /** What the test hook reports: open, the count found, the page, and the skus on it. */
  describe() {
    return { open: this.isOpen, found: this.shown.length, page: this.page + 1,
      pages: Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE)),
      skus: [...this.items.querySelectorAll('button[data-sku]')].map((b) => b.dataset.sku) };
  }
}
