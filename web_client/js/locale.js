// The shopper app's side of shared/i18n.js: importing this registers the shopper's labels (both pages import it
// first thing), and it holds the two pieces only the shopper pages show: the sale countdown and the EN/한국어 button.
import { lang, register, setLang, t } from '../shared/i18n.js';
import { duration } from '../shared/format.js';
import strings from './strings.js';

register(strings);

/** The sale countdown line for a sale window (ISO strings or null). */
export function saleLine(startsAt, endsAt, now = Date.now()) {
  const start = startsAt ? Date.parse(startsAt) : null;
  const end = endsAt ? Date.parse(endsAt) : null;
  if (start && now < start) return t('sale.startsIn', { t: duration(start - now) });
  if (end && now < end) return t('sale.endsIn', { t: duration(end - now) });
  if (end) return t('sale.over');
  return t('sale.open');
}

/** The header button: it names the other language and switches to it. */
export function langToggle(button) {
  const label = () => { button.textContent = lang() === 'ko' ? 'EN' : '한국어'; };
  label();
  button.addEventListener('click', () => { setLang(lang() === 'ko' ? 'en' : 'ko'); label(); });
}
