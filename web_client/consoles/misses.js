// "Searches with no results" (issue 21) in both consoles: the most frequent queries of the last 30 days that found
// nothing — a store's for its merchant, the festival's for the organizer (GET …/search/misses; counts only, nothing
// about the shopper). One table shape for both, from the consoles' table helper.

import { number } from '../shared/format.js';
import { t } from '../shared/i18n.js';
import { el, showProblem, table } from './ui.js';

/** Read `path` (a …/search/misses URL) with `api` and put its table, or "none", into `target`. */
export async function showMisses(api, path, target, id) {
  try {
    const { items } = await api.get(path, { query: { days: 30, limit: 20 } });
    target.replaceChildren(items.length
      ? table([t('misses.query'), [t('misses.count'), 'num']], items.map((m) => el('tr', {},
        el('td', {}, m.query), el('td', { class: 'num' }, number(m.count)))), { id })
      : el('p', { class: 'muted', id }, t('misses.none')));
    target.dataset.state = 'ready';
  } catch (err) {
    showProblem(target, err);
  }
}
