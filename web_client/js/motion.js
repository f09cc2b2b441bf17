// The shopper's "reduce motion" setting (issue #19), asked in one place by the page's scripted motion: the camera's
// turn towards a product chosen in the list and the close-up's idle spin. The stylesheets follow the same media
// query on their own (app.css turns transitions and animations off). Read at each use: the setting can change live.
const query = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;

export function reducedMotion() {
  return Boolean(query?.matches);
}
