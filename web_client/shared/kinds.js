// Store kinds: the ones a merchant may open, and each kind's name in the current language from the one shared
// table (kind_strings.js), so the lobby and the consoles never name a kind two ways.

import { register, t } from './i18n.js';
import strings from './kind_strings.js';

register(strings);

/** The kinds of store a merchant may open, in the order the consoles offer them. */
export const KINDS = ['department_store', 'traditional_market', 'street_district', 'convenience_store', 'brand_shop'];

/** A kind's name in the current language; an unknown kind (a newer server) is shown as it is. */
export function kindName(kind) {
  const key = `kind.${kind}`;
  return key in strings ? t(key) : String(kind ?? '');
}
