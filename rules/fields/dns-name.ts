/**
 * What a DNS name says about itself, for tunnelling and DGA rules: its length, labels,
 * the registered domain and the part under it, and the Shannon entropy of that part.
 *
 * The registered domain is approximated without the Public Suffix List: the last two
 * labels, or three when the second-to-last is a common second-level registry label
 * ("com.vn", "gov.vn", "co.uk"...). Good enough to group a tunnel's queries under one
 * domain; documented as an approximation.
 */
const SECOND_LEVEL = new Set(['com', 'net', 'org', 'gov', 'edu', 'ac', 'co', 'or', 'ne', 'go', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'health', 'vn']);

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export function labelCount(name: string): number {
  const n = trimDot(name);
  if (n === '') return 0;
  let k = 1;
  for (let i = 0; i < n.length; i++) if (n.charCodeAt(i) === 46) k++;
  return k;
}

export function maxLabelLength(name: string): number {
  let best = 0;
  let cur = 0;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) === 46) {
      if (cur > best) best = cur;
      cur = 0;
    } else cur++;
  }
  return cur > best ? cur : best;
}

/** Index where the registered domain starts in the (lower-cased, dot-trimmed) name. */
function registeredStart(n: string): number {
  const last = n.lastIndexOf('.');
  if (last < 0) return 0;
  const second = n.lastIndexOf('.', last - 1);
  if (second < 0) return 0;
  const sld = n.slice(second + 1, last);
  if (SECOND_LEVEL.has(sld) && n.slice(last + 1).length === 2) {
    const third = n.lastIndexOf('.', second - 1);
    return third + 1;
  }
  return second + 1;
}

export function registeredDomain(name: string): string {
  const n = trimDot(name).toLowerCase();
  return n.slice(registeredStart(n));
}

export function subdomain(name: string): string {
  const n = trimDot(name).toLowerCase();
  const s = registeredStart(n);
  return s > 0 ? n.slice(0, s - 1) : '';
}

export function topLevelDomain(name: string): string {
  const n = trimDot(name).toLowerCase();
  const last = n.lastIndexOf('.');
  return last < 0 ? n : n.slice(last + 1);
}

const counts = new Uint32Array(256);

/** Shannon entropy in bits per character of the name's subdomain part (dots excluded); 0 when there is none. */
export function subdomainEntropy(name: string): number {
  const n = trimDot(name).toLowerCase();
  const end = registeredStart(n) - 1;
  if (end <= 0) return 0;
  counts.fill(0);
  let total = 0;
  for (let i = 0; i < end; i++) {
    const ch = n.charCodeAt(i);
    if (ch === 46) continue;
    counts[ch & 255]!++;
    total++;
  }
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const k = counts[i]!;
    if (k === 0) continue;
    const p = k / total;
    h -= p * Math.log2(p);
  }
  return Math.round(h * 1000) / 1000;
}
