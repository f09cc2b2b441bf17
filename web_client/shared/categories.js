// A product's category (and a zone's name) in the current language, from the one table of category names
// (category_strings.js, generated from the builder's storefront_builder/catalog/category_names.py, so the zone
// signs baked into the scene and the page name a category alike). A Korean name the table lacks is shown as it
// is; an English catalog's name the table knows maps back to its Korean one.

import { register, t } from './i18n.js';
import strings from './category_strings.js';

register(strings);

const PREFIX = 'category.';
const squash = (name) => String(name ?? '').split(/\s+/).filter(Boolean).join(' ');
const byEnglish = new Map(Object.entries(strings).map(([key, label]) => [label.en.toLocaleLowerCase('en'), key]));

/** The table's key of a category name written in either language, or null. */
function keyOf(name) {
  const key = PREFIX + squash(name);
  return key in strings ? key : byEnglish.get(squash(name).toLocaleLowerCase('en')) ?? null;
}

/** One category (or zone) name in the current language; unknown ones as written. */
export function categoryName(name) {
  const key = keyOf(name);
  return key ? t(key) : String(name ?? '');
}

/** A category path ('의류 > 상의') in the current language, part by part. */
export function categoryPath(path) {
  return String(path ?? '').split('>').map((part) => part.trim()).filter(Boolean).map(categoryName).join(' > ');
}

/** Every name a category path goes by, in both languages (what the product list searches). */
export function categoryNames(path) {
  const parts = String(path ?? '').split('>').map((part) => part.trim()).filter(Boolean);
  return [String(path ?? ''), ...parts.flatMap((part) => {
    const key = keyOf(part);
    return key ? [strings[key].ko, strings[key].en] : [];
  })];
}
