// The product table: price, sale price and stock edited inline (PATCH /stores/{s}/products/{sku}, errors
// shown in the row), plus model (GLB) and image uploads with the validator's error codes on rejection.

import { pick, t } from '../shared/i18n.js';
import { bytes, minorDigits, money, toMajorInput } from '../shared/format.js';
import { $, busy, el, locText, problemBox, showNote, table } from '../consoles/ui.js';
import { ApiError, seg } from '../shared/api.js';
import { problemText } from '../shared/problems.js';
import { parsePrice } from './price.js';

// The importer's refusal codes (price.js) → what the row says.
const PRICE_ERRORS = {
  price_negative: () => t('products.negative'),
  price_not_number: () => t('products.notNumber'),
  price_decimals: () => t('products.decimals'),
  price_too_large: () => t('products.tooLarge'),
};

const FIELDS = ['price', 'sale_price', 'stock'];

function fieldValue(field, product) {
  if (field === 'stock') return String(product.stock);
  return toMajorInput(product[field], product.currency);
}

/** The input's text → the PATCH value, or an error message. */
function parseField(field, text, currency) {
  if (field === 'stock') {
    const clean = text.trim();
    if (!/^-?\d+$/.test(clean)) return { error: t('products.notNumber') };
    return { value: Number(clean) };
  }
  const parsed = parsePrice(text, minorDigits(currency));
  if (parsed.error) return { error: PRICE_ERRORS[parsed.error]() };
  if (parsed.value === null && field === 'sale_price') return { value: null }; // empty clears the sale price
  if (parsed.value === null) return { error: t('products.notNumber') };
  return { value: parsed.value };
}

// A row's last refusal, by SKU, with the field it was about: a redraw of the table (a finished build reloads
// the store) must not wipe what the merchant is being told.
const refusals = new Map();

function showRowError(row, err, field = null) {
  const sku = row.dataset.sku;
  if (err) refusals.set(sku, { err, field });
  else refusals.delete(sku);
  const cell = row.querySelector('.cell-error');
  cell.replaceChildren();
  if (!err) return;
  // The server's refusal in the page's language first (never its English detail), then the fields at fault.
  if (err instanceof ApiError) cell.append(el('div', {}, problemText(err)));
  if (err.errors && err.errors.length) {
    cell.append(...err.errors.map((e) => el('div', {}, locText(e.loc) ? `${locText(e.loc)}: ` : '', e.msg)));
  } else if (!(err instanceof ApiError)) {
    cell.append(el('div', {}, err.detail || err.title || String(err)));
  }
}

async function save(ctx, product, field, input, row) {
  const parsed = parseField(field, input.value, product.currency);
  input.classList.remove('saved');
  if (parsed.error) {
    input.classList.add('invalid');
    showRowError(row, { detail: parsed.error }, field);
    return;
  }
  if (parsed.value === product[field]) {
    input.classList.remove('invalid');
    return;
  }
  input.disabled = true;
  try {
    const out = await ctx.api.patch(`/api/v1/stores/${seg(ctx.slug)}/products/${seg(product.sku)}`, { [field]: parsed.value });
    Object.assign(product, out);
    ({ row, input } = current(row, input, product.sku, field));
    input.classList.remove('invalid');
    input.classList.add('saved');
    input.value = fieldValue(field, product);
    row.querySelector('.unit-price').textContent = money(product.unit_price, product.currency);
    showRowError(row, null);
  } catch (err) {
    ({ row, input } = current(row, input, product.sku, field));
    input.classList.add('invalid');
    showRowError(row, err, field);
  } finally {
    input.disabled = false;
  }
}

/** The row and input on screen now: the table may have been redrawn while a save was in flight (a build that
 *  finished reloads the store), and the answer belongs in what the merchant sees, not in a detached row. */
function current(row, input, sku, field) {
  const live = document.querySelector(`#products-table tr[data-sku="${CSS.escape(sku)}"]`);
  if (!live || live === row) return { row, input };
  return { row: live, input: live.querySelector(`input.edit-${field.replace('_', '-')}`) || input };
}

function productRow(ctx, product) {
  const row = el('tr', { dataset: { sku: product.sku } });
  const inputs = FIELDS.map((field) => {
    const input = el('input', {
      class: `edit-${field.replace('_', '-')}`, value: fieldValue(field, product), inputmode: field === 'stock' ? 'numeric' : 'decimal',
      'aria-label': `${product.sku} ${t(`products.${field === 'sale_price' ? 'sale' : field}`)}`,
    });
    input.addEventListener('change', () => save(ctx, product, field, input, row));
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') input.dispatchEvent(new Event('change'));
      if (event.key === 'Escape') { input.value = fieldValue(field, product); input.classList.remove('invalid'); }
    });
    return el('td', { class: 'num' }, input);
  });
  if (product.status && product.status !== 'active') row.classList.add('hidden-product');
  row.append(
    el('td', {}, el('code', {}, product.sku), product.group && product.group !== product.sku
      ? el('div', { class: 'muted variant-of' }, t('products.variantOf', { group: product.group })) : null),
    el('td', {}, pick(product.name), optionText(product.options)),
    el('td', { class: 'product-status' }, statusLabel(product.status)),
    el('td', {}, product.category || '—'),
    ...inputs,
    el('td', { class: 'num unit-price' }, money(product.unit_price, product.currency)),
    el('td', {}, product.model ? el('span', { role: 'img', 'aria-label': t('assets.kind.model') }, '🧊') : '',
      product.image ? el('span', { role: 'img', 'aria-label': t('assets.kind.image') }, ' 🖼') : ''),
    el('td', { class: 'cell-error' }),
  );
  const refusal = refusals.get(product.sku);
  if (refusal) { // carried over a redraw
    showRowError(row, refusal.err, refusal.field);
    if (refusal.field) row.querySelector(`input.edit-${refusal.field.replace('_', '-')}`)?.classList.add('invalid');
  }
  return row;
}

const STATUS_LABELS = {
  active: () => t('status.active'),
  draft: () => t('status.draft'),
  archived: () => t('status.archived'),
  unpublished: () => t('status.unpublished'),
};

function statusLabel(status) {
  return (STATUS_LABELS[status] || STATUS_LABELS.active)();
}

function optionText(options) {
  const parts = Object.entries(options || {}).map(([name, value]) => `${name}: ${value}`);
  return parts.length ? el('div', { class: 'muted options' }, parts.join(' · ')) : null;
}

const PAGE = 200; // a catalog may hold 100,000 products: the table grows a page at a time
// The merchant's own view: hidden products (draft, archived, unpublished) are listed too, with their status.
const LIST = `limit=${PAGE}&include_hidden=true`;

/** The first page of the store's products (again), after the store was (re)loaded. */
export async function loadProducts(ctx) {
  ctx.products = { items: [], next: null };
  if (!ctx.store) return;
  ctx.products = await ctx.api.get(`${ctx.store.products}?${LIST}`);
}

async function loadMore(ctx) {
  const page = await ctx.api.get(`${ctx.store.products}?${LIST}&after=${encodeURIComponent(ctx.products.next)}`);
  ctx.products = { items: [...ctx.products.items, ...page.items], next: page.next };
  renderProducts(ctx);
}

/** What the merchant is typing: inputs whose text differs from the product, and the focused one. */
function unsaved() {
  const out = [];
  for (const input of document.querySelectorAll('#products-table input')) {
    if (input.value !== input.defaultValue || input === document.activeElement) {
      out.push({ sku: input.closest('tr').dataset.sku, cls: input.className.split(' ')[0], value: input.value,
        focused: input === document.activeElement });
    }
  }
  return out;
}

/** A redraw (a finished build reloads the store) keeps what is being typed, and where the caret is. */
function restore(edits) {
  for (const edit of edits) {
    const input = document.querySelector(`#products-table tr[data-sku="${CSS.escape(edit.sku)}"] input.${edit.cls}`);
    if (!input) continue;
    input.value = edit.value;
    if (edit.focused) input.focus();
  }
}

export function renderProducts(ctx) {
  const edits = unsaved();
  const box = $('#products');
  const products = ctx.store && ctx.products ? ctx.products.items : [];
  $('#sku-list').replaceChildren(...products.map((p) => el('option', { value: p.sku }, pick(p.name))));
  if (!products.length) {
    box.replaceChildren(el('p', { class: 'muted' }, t('products.none')));
    return;
  }
  const parts = [table([t('products.sku'), t('products.name'), t('products.status'), t('products.category'),
    [t('products.price'), 'num'],
    [t('products.sale'), 'num'], [t('products.stock'), 'num'], [t('products.unit'), 'num'], t('products.assets'), ''],
  products.map((p) => productRow(ctx, p)), { id: 'products-table' })];
  parts.push(el('p', { class: 'muted', id: 'products-count' },
    t('products.count', { shown: products.length, total: ctx.store.product_count })));
  if (ctx.products.next) {
    const more = el('button', { type: 'button', id: 'products-more' }, t('products.more'));
    more.addEventListener('click', () => { more.disabled = true; loadMore(ctx).catch(() => { more.disabled = false; }); });
    parts.push(more);
  }
  box.replaceChildren(...parts);
  restore(edits);
}

function imageType(file) {
  if (file.type) return file.type;
  const name = file.name.toLowerCase();
  if (name.endsWith('.png')) return 'image/png';
  if (name.endsWith('.webp')) return 'image/webp';
  return 'image/jpeg';
}

export function wireAssets(ctx) {
  const form = $('#asset-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const out = $('#asset-out');
    const sku = $('#asset-sku').value.trim();
    const model = $('#model-file').files[0];
    const image = $('#image-file').files[0];
    if (!model && !image) {
      showNote(out, t('assets.pickFile'), 'warn');
      return;
    }
    busy(form.querySelector('button'), out, async () => {
      const notes = [];
      const uploads = [];
      if (model) uploads.push(['model', model, 'model/gltf-binary']);
      if (image) uploads.push(['image', image, imageType(image)]);
      for (const [kind, file, type] of uploads) {
        try {
          const res = await ctx.api.put(`/api/v1/stores/${seg(ctx.slug)}/products/${seg(sku)}/${kind}`, file, { contentType: type });
          notes.push(el('div', { class: 'note', role: 'status' },
            t('assets.saved', { sku, kind: t(`assets.kind.${kind}`), size: bytes(res.size) })));
        } catch (err) {
          notes.push(problemBox(err));
        }
      }
      out.replaceChildren(...notes);
      $('#model-file').value = '';
      $('#image-file').value = '';
      await ctx.reloadStore();
    });
  });
}
