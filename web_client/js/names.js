// The shopper's display name. Nothing asks for it before the store opens: the first visit makes up a friendly one
// in the page's language ("빨간 여우 12" / "Red Fox 12", from the short word lists in strings.js), remembered in
// localStorage for the next session; the shopper may change it from the header's menu (main.js renames the session
// with PATCH /api/v1/sessions/current and rejoins the live room, which reads the name at a join).
import { t } from '../shared/i18n.js';

const KEY = 'vrstore.name';
const MAX_LENGTH = 40; // the server's limit (SessionCreate.display_name)

/** A made-up name: a colour, an animal and a number from 10 to 99. `random` is Math.random's shape. */
export function friendlyName(random = Math.random) {
  const one = (key) => {
    const words = t(key).split(',').map((w) => w.trim()).filter(Boolean);
    return words[Math.floor(random() * words.length)];
  };
  const name = t('name.generated', { color: one('name.colors'), animal: one('name.animals'), n: 10 + Math.floor(random() * 90) });
  return name.slice(0, MAX_LENGTH);
}

/** The name this browser uses, or null before the first visit. */
export function storedName() {
  try { return localStorage.getItem(KEY); } catch { return null; } // storage may be off (private modes)
}

export function rememberName(name) {
  try { localStorage.setItem(KEY, name); } catch { /* the name lasts this page then */ }
}
