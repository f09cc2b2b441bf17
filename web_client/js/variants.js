// Products with variants, from the API's product list: products sharing a `group` are the variants of one
// product (the scene has one shelf slot per group, at its first variant's sku), each with its own sku, price,
// stock and `options` ({색상: '네이비', 사이즈: 'M'}, option order kept). Pure functions and one small class,
// shared by the DOM panel, the VR panel and the shelf labels. Older servers send no group/options/images:
// withDefaults() fills them in (group = sku, options = {}, images = [image]).

/** The product with the fields this client relies on, whether or not the server sends them. */
export function withDefaults(p) {
  const images = Array.isArray(p.images) && p.images.length ? p.images : p.image ? [p.image] : [];
  return { ...p, group: p.group || p.sku, options: p.options && typeof p.options === 'object' ? p.options : {}, images };
}

/** group → skus in catalog order (the list's order). */
export function groupIndex(products) {
  const groups = new Map();
  for (const p of products) {
    const skus = groups.get(p.group);
    if (skus) skus.push(p.sku); else groups.set(p.group, [p.sku]);
  }
  return groups;
}

/** What a group of variants offers at once (the shelf label): the lowest price and whether any is in stock. */
export function summary(variants) {
  const cheapest = variants.reduce((a, b) => (b.unit_price < a.unit_price ? b : a));
  const prices = new Set(variants.map((v) => v.unit_price));
  return { cheapest, from: prices.size > 1, stock: variants.reduce((n, v) => n + Math.max(0, v.stock), 0) };
}

/**
 * The shopper's option choice over one group's variants. Axes are the option names in order; a value of axis i
 * is offered when some variant has it together with the values chosen on the axes before i (so a shopper can
 * always reach every variant, as in Shopify's pickers); combinations that exist nowhere are disabled.
 */
export class VariantChoice {
  constructor(variants, sku) {
    this.variants = variants;
    this.options = distinctOptions(variants);
    this.axes = [];
    for (const o of this.options) {
      for (const [name, value] of Object.entries(o)) {
        let axis = this.axes.find((a) => a.name === name);
        if (!axis) { axis = { name, values: [] }; this.axes.push(axis); }
        if (!axis.values.includes(value)) axis.values.push(value);
      }
    }
    const start = Math.max(0, variants.findIndex((v) => v.sku === sku));
    this.selection = this.axes.map((a) => this.options[start][a.name]);
    this.index = start;
  }

  get product() { return this.variants[this.index]; }

  /** Variants (indices) whose options match the selection on the first `upto` axes, plus `extra`. */
  _matching(upto, extra = {}) {
    const out = [];
    this.options.forEach((o, i) => {
      const ok = this.axes.every((a, k) => (a.name in extra ? o[a.name] === extra[a.name]
        : k >= upto || o[a.name] === this.selection[k]));
      if (ok) out.push(i);
    });
    return out;
  }

  /** 'ok', 'soldout' (exists, none in stock) or 'unavailable' (no such combination) for a value of an axis. */
  state(axisIndex, value) {
    const found = this._matching(axisIndex, { [this.axes[axisIndex].name]: value });
    if (!found.length) return 'unavailable';
    return found.some((i) => this.variants[i].stock > 0) ? 'ok' : 'soldout';
  }

  /** Choose a value; later axes keep their values when the combination exists, else take the first offered
   * (in stock preferred). Returns the selected variant. */
  choose(axisIndex, value) {
    if (this.state(axisIndex, value) === 'unavailable') return this.product;
    this.selection[axisIndex] = value;
    for (let k = axisIndex + 1; k < this.axes.length; k++) {
      const axis = this.axes[k];
      if (this.state(k, this.selection[k]) !== 'unavailable') continue;
      const offered = axis.values.filter((v) => this.state(k, v) !== 'unavailable');
      this.selection[k] = offered.find((v) => this.state(k, v) === 'ok') ?? offered[0];
    }
    this.index = this._matching(this.axes.length)[0] ?? this.index;
    return this.product;
  }

  /** Follow live changes: the same skus, fresh objects. */
  refresh(variants) {
    if (variants.length === this.variants.length && variants.every((v, i) => v.sku === this.variants[i].sku)) {
      this.variants = variants;
    }
  }
}

/** Each variant's options; when they do not tell the variants apart (missing or repeated), one synthetic axis
 * named '' whose values are the variants' skus, so every variant can still be chosen. */
function distinctOptions(variants) {
  const keys = variants.map((v) => JSON.stringify(Object.entries(v.options || {})));
  const distinct = new Set(keys).size === variants.length;
  if (variants.length < 2 || distinct) return variants.map((v) => ({ ...(v.options || {}) }));
  return variants.map((v) => ({ '': v.sku }));
}
