// "N looking": how many OTHER shoppers in the room focus a product. The server counts every member's focus
// (server/live/core/room.py) and broadcasts one `focus_counts` document to the whole room, so it cannot leave
// each recipient out without a message per recipient; the client subtracts itself instead. A count includes
// us once the server has seen our focus: the first `focus_counts` entry for a sku after we focused it does
// (the socket is ordered and the sku turned dirty with our message); an entry for a sku we have left does not.
// The welcome's counts never include us: a (re)joined member has no focus yet.

export class FocusCounts {
  constructor() {
    this.counts = new Map(); // sku → room count, ourselves included
    this.mine = null; // the sku of our last focus message
    this.included = new Set(); // skus whose last known count includes us
  }

  /** The welcome's counts (a fresh connection: we focus nothing yet). */
  reset(counts = {}) {
    this.counts = new Map(Object.entries(counts).filter(([, n]) => n > 0));
    this.mine = null;
    this.included.clear();
  }

  /** We sent `{type: 'focus', sku}`. */
  sent(sku) { this.mine = sku; }

  /** A `focus_counts` message; returns the skus it changed. */
  apply(counts) {
    const changed = Object.keys(counts);
    for (const [sku, n] of Object.entries(counts)) {
      if (n > 0) this.counts.set(sku, n); else this.counts.delete(sku);
      if (sku === this.mine) this.included.add(sku); else this.included.delete(sku);
    }
    return changed;
  }

  /** Other shoppers focusing `sku`. */
  get(sku) {
    const n = this.counts.get(sku) ?? 0;
    return Math.max(0, n - (this.included.has(sku) ? 1 : 0));
  }

  /** [sku, others] for every sku someone else focuses. */
  *entries() {
    for (const sku of this.counts.keys()) {
      const n = this.get(sku);
      if (n > 0) yield [sku, n];
    }
  }

  [Symbol.iterator]() { return this.entries(); }
}
