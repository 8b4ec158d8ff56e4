import { signal } from './signal.js';

/** Hash routes (#/queue, #/alerts/ID, #/search?...): the server serves one page for all. */
function parse() {
  const raw = location.hash.replace(/^#/, '') || '/queue';
  const [path, query = ''] = raw.split('?');
  return { path, parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export const route = signal(parse());
window.addEventListener('hashchange', () => (route.value = parse()));

export function go(path) {
  location.hash = path;
}

/** A hash link to a route; segments are encoded, so values from the wire stay inside their segment. */
export function href(...segments) {
  return `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}
