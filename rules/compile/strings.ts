/**
 * Case-insensitive string tests that do not allocate: ASCII letters are folded in
 * place; only a string with non-ASCII characters falls back to toLowerCase(). The
 * pattern side is lower-cased once, at compile time.
 */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function ascii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

function regionEq(s: string, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if (fold(s.charCodeAt(from + i)) !== lower.charCodeAt(i)) return false;
  return true;
}

export function eqFold(s: string, lower: string): boolean {
  if (s.length !== lower.length) return ascii(s) ? false : s.toLowerCase() === lower;
  return regionEq(s, 0, lower) || (!ascii(s) && s.toLowerCase() === lower);
}

export function startsFold(s: string, lower: string): boolean {
  if (ascii(s)) return s.length >= lower.length && regionEq(s, 0, lower);
  return s.toLowerCase().startsWith(lower);
}

export function endsFold(s: string, lower: string): boolean {
  if (ascii(s)) return s.length >= lower.length && regionEq(s, s.length - lower.length, lower);
  return s.toLowerCase().endsWith(lower);
}

export function includesFold(s: string, lower: string): boolean {
  if (!ascii(s)) return s.toLowerCase().includes(lower);
  const n = s.length - lower.length;
  if (lower.length === 0) return true;
  const first = lower.charCodeAt(0);
  for (let i = 0; i <= n; i++) if (fold(s.charCodeAt(i)) === first && regionEq(s, i, lower)) return true;
  return false;
}

/** Lower case only when needed (an already lower-case value is returned as is, no copy). */
export function lowerIfNeeded(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}
