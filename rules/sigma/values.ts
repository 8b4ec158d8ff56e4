/**
 * One Sigma field item (`Field|mod|mod: value(s)`) → Chốt conditions. Sigma compares
 * strings case-insensitively unless `cased`; `*` and `?` are wildcards (`\*`, `\?`,
 * `\\` escape them); a list means any value unless `all`.
 */
import type { FieldType } from '../fields/types.js';

export type Cond = Record<string, unknown>;

export class Unsupported extends Error {}

const NOT_APPLICABLE: Record<string, string> = {
  base64: 'encodes payload text; flow metadata carries none',
  base64offset: 'encodes payload text; flow metadata carries none',
  utf16le: 'encodes payload text; flow metadata carries none',
  utf16be: 'encodes payload text; flow metadata carries none',
  utf16: 'encodes payload text; flow metadata carries none',
  wide: 'encodes payload text; flow metadata carries none',
  windash: 'varies Windows command-line dashes; no such field here',
  fieldref: 'compares two fields of one event; Chốt rules compare fields with values',
  expand: 'needs placeholder values defined per site',
};

type Piece = { lit: string } | { wild: '*' | '?' };

function pieces(s: string): Piece[] {
  const out: Piece[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === '*' || s[i + 1] === '?' || s[i + 1] === '\\')) {
      lit += s[++i];
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push({ wild: c });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A string value (after contains/startswith/endswith wrapping) as an operator and operand. */
function stringOp(value: string): { op: string; arg: string } {
  const ps = pieces(value);
  const lits = ps.filter((p): p is { lit: string } => 'lit' in p);
  const wilds = ps.filter((p) => 'wild' in p);
  if (wilds.length === 0) return { op: 'eq', arg: lits.map((l) => l.lit).join('') };
  if (lits.length <= 1 && wilds.every((w) => (w as { wild: string }).wild === '*')) {
    const lead = 'wild' in ps[0]!;
    const trail = 'wild' in ps[ps.length - 1]!;
    const text = lits[0]?.lit ?? '';
    if (text === '') return { op: 'regex', arg: '^.*$' };
    if (lead && trail && wilds.length === 2) return { op: 'contains', arg: text };
    if (lead && !trail && wilds.length === 1) return { op: 'suffix', arg: text };
    if (!lead && trail && wilds.length === 1) return { op: 'prefix', arg: text };
  }
  return { op: 'regex', arg: `^${ps.map((p) => ('lit' in p ? escapeRe(p.lit) : p.wild === '*' ? '.*' : '.')).join('')}$` };
}

/** The Chốt conditions of one Sigma field item. */
export function fieldItem(field: string, type: FieldType, mods: string[], raw: unknown, convert?: (v: unknown) => unknown): Cond {
  for (const m of mods) {
    if (NOT_APPLICABLE[m]) throw new Unsupported(`modifier ${m} ${NOT_APPLICABLE[m]}`);
    if (!['contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte', 'cased'].includes(m)) throw new Unsupported(`unknown modifier "${m}"`);
  }
  const values = (Array.isArray(raw) ? raw : [raw]).map((v) => (convert ? convert(v) : v));
  const all = mods.includes('all');
  const cased = mods.includes('cased');
  const text = type === 'string';
  const leaves: Array<{ op: string; arg: unknown; nocase: boolean }> = [];
  if (mods.includes('exists')) {
    if (values.length !== 1 || typeof values[0] !== 'boolean') throw new Unsupported('exists expects true or false');
    return { [field]: { exists: values[0] } };
  }
  const cmp = mods.find((m) => ['gt', 'gte', 'lt', 'lte'].includes(m));
  for (const v of values) {
    if (v === null) {
      leaves.push({ op: 'exists', arg: false, nocase: false });
      continue;
    }
    if (typeof v === 'object') throw new Unsupported(`value of ${field} is not a scalar`);
    if (cmp) {
      if (type !== 'number') throw new Unsupported(`${cmp} on ${field}, which is not numeric`);
      leaves.push({ op: cmp, arg: v, nocase: false });
    } else if (mods.includes('cidr')) {
      if (type !== 'ip') throw new Unsupported(`cidr on ${field}, which is not an address`);
      leaves.push({ op: 'cidr', arg: String(v), nocase: false });
    } else if (mods.includes('re')) {
      if (mods.includes('m') || mods.includes('s')) throw new Unsupported('regular expression flags m and s are not supported (only i)');
      leaves.push({ op: 'regex', arg: String(v), nocase: mods.includes('i') && text });
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      leaves.push({ op: 'eq', arg: v, nocase: false });
    } else {
      let s = String(v);
      if (mods.includes('contains')) s = `*${s}*`;
      else if (mods.includes('startswith')) s = `${s}*`;
      else if (mods.includes('endswith')) s = `*${s}`;
      const o = stringOp(s);
      if ((type === 'number' || type === 'bool') && o.op !== 'eq') throw new Unsupported(`wildcards on ${field}, which is ${type}`);
      leaves.push({ op: o.op, arg: o.arg, nocase: text && !cased });
    }
  }
  const leafCond = (l: { op: string; arg: unknown; nocase: boolean }): Cond => {
    if (l.op === 'exists') return { [field]: null };
    if (l.op === 'eq' && !l.nocase) return { [field]: l.arg };
    return { [field]: { [l.op]: l.arg, ...(l.nocase ? { nocase: true } : {}) } };
  };
  if (all || leaves.length === 1) {
    const items = leaves.map(leafCond);
    return items.length === 1 ? items[0]! : { all: items };
  }
  // Any of several values: one condition per operator, each operator taking the list.
  const byOp = new Map<string, typeof leaves>();
  for (const l of leaves) {
    const key = `${l.op}|${l.nocase}`;
    byOp.set(key, [...(byOp.get(key) ?? []), l]);
  }
  const items: Cond[] = [];
  for (const group of byOp.values()) {
    const l0 = group[0]!;
    if (group.length === 1 || ['gt', 'gte', 'lt', 'lte', 'exists'].includes(l0.op)) {
      for (const l of group) items.push(leafCond(l));
      continue;
    }
    const args = group.map((l) => l.arg);
    if (l0.op === 'eq') items.push(l0.nocase ? { [field]: { in: args, nocase: true } } : { [field]: args });
    else items.push({ [field]: { [l0.op]: args, ...(l0.nocase ? { nocase: true } : {}) } });
  }
  return items.length === 1 ? items[0]! : { any: items };
}
