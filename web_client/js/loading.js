// The store page's first paint: the HTML already shows the Korean loading line (no script needed for it);
// this tiny module, which runs before the app's bundle has arrived, switches it to the shopper's language
// (the one vrstore.lang remembers, as shared/i18n.js reads it) and sets <html lang>. From the scene download
// on, ui.js's progress() writes the same line with the percentage ('load.scene' in js/strings.js).
// It imports nothing, so it stays one small request in the built and the unbundled page alike.
const saved = localStorage.getItem('vrstore.lang');
const lang = saved === 'en' ? 'en' : 'ko';
document.documentElement.lang = lang;
const label = document.querySelector('#progress .label');
if (label) label.textContent = label.dataset[lang] ?? label.textContent;
