// Prices typed in the merchant console, read by the catalog importer's rules (storefront_builder/catalog/_rows.py:
// parse_decimal, major_to_minor), so "12,000원" in a price field means what it means in an uploaded file.
// Currency noise (₩, 원, $, KRW, spaces …) is ignored; a comma groups thousands only in groups of three ("12,99"
// is refused, not read as 1299); more decimals than the currency has are refused. No imports: a test runs this
// module in Node beside the Python parser (tests/server/test_console_price.py).

const NUMBER = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const NOISE = /[\s₩￦$€£¥원]|KRW|USD|EUR|JPY/gi;
const MAX_MINOR = 10 ** 12; // MAX_PRICE_MINOR

/**
 * An input's text → `{ value }` in integer minor units (`value: null` for an empty field), or `{ error }` with the
 * importer's code: `price_negative`, `price_not_number`, `price_decimals` or `price_too_large`.
 * `digits` is the currency's minor-unit exponent (KRW 0, USD 2).
 */
export function parsePrice(text, digits) {
  const raw = String(text ?? '').trim();
  if (raw === '') return { value: null };
  const clean = raw.replace(NOISE, '');
  if (clean.startsWith('-')) return { error: 'price_negative' };
  if (!NUMBER.test(clean)) return { error: 'price_not_number' };
  const [whole, fraction = ''] = clean.replaceAll(',', '').split('.');
  const kept = fraction.replace(/0+$/, '');
  if (kept.length > digits) return { error: 'price_decimals' };
  const units = whole.replace(/^0+(?=\d)/, '');
  if (units.length > 13) return { error: 'price_too_large' };
  const value = Number(units) * 10 ** digits + Number(kept.padEnd(digits, '0') || '0');
  if (value > MAX_MINOR) return { error: 'price_too_large' };
  return { value };
}
