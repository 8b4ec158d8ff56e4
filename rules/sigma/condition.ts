/**
 * The Sigma condition grammar: search identifiers, `and`, `or`, `not`, parentheses,
 * `1 of <pattern>`, `all of <pattern>` (patterns may end in `*`; `them` is every
 * identifier), and the legacy aggregation tail `| count([field]) [by field] <op> N`.
 * Precedence: not > and > or.
 */
export type SigmaExpr =
  | { t: 'id'; name: string }
  | { t: 'and' | 'or'; items: SigmaExpr[] }
  | { t: 'not'; item: SigmaExpr }
  | { t: 'of'; quantifier: 'one' | 'all'; pattern: string };

export interface SigmaAggregation {
  field?: string;
  by?: string;
  op: '>' | '>=' | '<' | '<=' | '=';
  value: number;
}

export class SigmaSyntaxError extends Error {}

const TOKEN = /\s*(\(|\)|\||[A-Za-z0-9_*.-]+|>=|<=|==|=|>|<)/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(s);
    if (!m) throw new SigmaSyntaxError(`unexpected "${s.slice(pos).trim().slice(0, 20)}" in condition`);
    out.push(m[1]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

export function parseCondition(text: string): { expr: SigmaExpr; aggregation?: SigmaAggregation } {
  const [main, ...rest] = text.split('|');
  const toks = tokenize(main!);
  let i = 0;
  const peek = () => toks[i]?.toLowerCase();
  const next = () => toks[i++];
  const expect = (what: string) => {
    if (peek() !== what) throw new SigmaSyntaxError(`expected "${what}" in condition, found ${toks[i] ?? 'the end'}`);
    i++;
  };
  const primary = (): SigmaExpr => {
    const t = peek();
    if (t === undefined) throw new SigmaSyntaxError('condition ends too early');
    if (t === '(') {
      next();
      const e = orExpr();
      expect(')');
      return e;
    }
    if (t === 'not') {
      next();
      return { t: 'not', item: primary() };
    }
    if (t === '1' || t === 'all' || t === 'any') {
      const q = next()!.toLowerCase();
      if (peek() !== 'of') {
        if (q === 'all' || q === 'any') throw new SigmaSyntaxError(`expected "of" after "${q}"`);
        return { t: 'id', name: toks[i - 1]! };
      }
      next();
      const pattern = next();
      if (!pattern || ['(', ')', 'and', 'or', 'not'].includes(pattern.toLowerCase())) throw new SigmaSyntaxError('expected an identifier pattern or "them" after "of"');
      return { t: 'of', quantifier: q === 'all' ? 'all' : 'one', pattern };
    }
    if (/^\d+$/.test(t) && toks[i + 1]?.toLowerCase() === 'of') throw new SigmaSyntaxError(`"${t} of" is not Sigma (only "1 of" and "all of")`);
    if (['and', 'or', ')'].includes(t)) throw new SigmaSyntaxError(`unexpected "${t}" in condition`);
    return { t: 'id', name: next()! };
  };
  const andExpr = (): SigmaExpr => {
    const items = [primary()];
    while (peek() === 'and') {
      next();
      items.push(primary());
    }
    return items.length === 1 ? items[0]! : { t: 'and', items };
  };
  const orExpr = (): SigmaExpr => {
    const items = [andExpr()];
    while (peek() === 'or') {
      next();
      items.push(andExpr());
    }
    return items.length === 1 ? items[0]! : { t: 'or', items };
  };
  const expr = orExpr();
  if (i < toks.length) throw new SigmaSyntaxError(`unexpected "${toks[i]}" in condition`);
  if (rest.length === 0) return { expr };
  if (rest.length > 1) throw new SigmaSyntaxError('expected at most one "|" aggregation');
  const m = /^\s*count\(\s*([A-Za-z0-9_.-]*)\s*\)\s*(?:by\s+([A-Za-z0-9_.-]+)\s*)?(>=|<=|==|=|>|<)\s*(\d+)\s*$/i.exec(rest[0]!);
  if (!m) throw new SigmaSyntaxError(`unsupported aggregation "${rest[0]!.trim()}" (only count([field]) [by field] <op> N)`);
  const op = (m[3] === '==' ? '=' : m[3]) as SigmaAggregation['op'];
  return { expr, aggregation: { field: m[1] || undefined, by: m[2], op, value: Number(m[4]) } };
}

/** Identifiers a pattern names ("them": all; "sel*": those starting with "sel"). */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  if (pattern.toLowerCase() === 'them') return names.filter((n) => !n.startsWith('_'));
  if (pattern.endsWith('*')) return names.filter((n) => n.startsWith(pattern.slice(0, -1)));
  return names.filter((n) => n === pattern);
}
