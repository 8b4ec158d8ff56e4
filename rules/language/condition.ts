/**
 * The condition syntax of `match`, `exceptions` and sequence steps:
 *
 *   match:
 *     network.transport: tcp                    # equals
 *     destination.port: [22, 3389]              # one of
 *     dns.question.name: { suffix: .example.com, nocase: true }
 *     source.bytes: { gte: 50MB }               # ranges; several operators are ANDed
 *     destination.ip: { cidr: [10.0.0.0/8] }
 *     tls.client.ja3: { in_list: bad_ja3 }      # a named list
 *     all: [ {...}, {...} ]                      # and
 *     any: [ {...}, {...} ]                      # or
 *     not: { ... }
 *
 * Keys of one mapping are ANDed. A null value means "the field is absent".
 */
import { OPS, type CondAst, type LeafAst, type OpName } from './ast.js';
import type { Diagnostics, Pos } from './diagnostics.js';
import { describe } from './schema.js';
import type { Path, SourceDoc } from './source.js';

const SCALAR_OPS: ReadonlySet<OpName> = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']);
const LIST_OPS: ReadonlySet<OpName> = new Set(['in', 'prefix', 'suffix', 'contains', 'regex', 'cidr', 'in_list']);

const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ConditionParser {
  constructor(
    private readonly src: SourceDoc,
    private readonly diag: Diagnostics,
    private readonly ruleId: string | undefined,
  ) {}

  private err(pos: Pos, message: string): undefined {
    this.diag.error(pos, message, this.ruleId);
    return undefined;
  }

  /** A mapping of conditions, ANDed. */
  parse(raw: unknown, path: Path): CondAst | undefined {
    const pos = this.src.posOf(path);
    if (!isMapping(raw)) return this.err(pos, `expected a mapping of conditions (field: value, all:, any:, not:), found ${describe(raw)}`);
    const items: CondAst[] = [];
    let ok = true;
    const keys = Object.keys(raw);
    if (keys.length === 0) return this.err(pos, 'expected at least one condition');
    for (const key of keys) {
      const value = raw[key];
      const at = [...path, key];
      const keyPos = this.src.keyPos(path, key);
      let c: CondAst | undefined;
      if (key === 'all' || key === 'any') c = this.list(key, value, at, keyPos);
      else if (key === 'not') {
        const inner = this.parse(value, at);
        c = inner && { t: 'not', item: inner, pos: keyPos };
      } else c = this.field(key, value, at, keyPos);
      if (c) items.push(c);
      else ok = false;
    }
    if (!ok) return undefined;
    return items.length === 1 ? items[0] : { t: 'all', items, pos };
  }

  private list(key: 'all' | 'any', value: unknown, path: Path, pos: Pos): CondAst | undefined {
    if (!Array.isArray(value) || value.length === 0) return this.err(pos, `expected ${key}: to hold a non-empty list of conditions, found ${describe(value)}`);
    const items: CondAst[] = [];
    let ok = true;
    value.forEach((v, i) => {
      const c = this.parse(v, [...path, i]);
      if (c) items.push(c);
      else ok = false;
    });
    if (!ok) return undefined;
    return { t: key, items, pos };
  }

  private leaf(field: string, op: OpName, raw: unknown, nocase: boolean, pos: Pos): LeafAst {
    return { t: 'leaf', field, op, raw, values: [], nocase, pos };
  }

  private field(field: string, value: unknown, path: Path, pos: Pos): CondAst | undefined {
    if (!/^[@A-Za-z_][A-Za-z0-9_.@]*$/.test(field)) return this.err(pos, `expected a field name, all:, any: or not:, found "${field}"`);
    if (value === null || value === undefined) return this.leaf(field, 'exists', false, false, pos);
    if (isScalar(value)) return this.leaf(field, 'eq', value, false, pos);
    if (Array.isArray(value)) {
      if (value.length === 0) return this.err(pos, `expected at least one value for ${field}`);
      const bad = value.findIndex((v) => !isScalar(v));
      if (bad >= 0) return this.err(this.src.posOf([...path, bad]), `expected a scalar value, found ${describe(value[bad])}`);
      return this.leaf(field, 'in', value, false, pos);
    }
    if (!isMapping(value)) return this.err(pos, `expected a value, a list or operators for ${field}`);
    const nocase = value.nocase;
    if (nocase !== undefined && typeof nocase !== 'boolean') return this.err(this.src.keyPos(path, 'nocase'), 'expected nocase: true or false');
    const leaves: LeafAst[] = [];
    let ok = true;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'nocase') continue;
      const opPos = this.src.keyPos(path, k);
      if (!(OPS as readonly string[]).includes(k)) {
        this.err(opPos, `unexpected operator "${k}" (expected one of: ${OPS.join(', ')}, nocase)`);
        ok = false;
        continue;
      }
      const op = k as OpName;
      if (op === 'exists') {
        if (typeof v !== 'boolean') {
          this.err(opPos, 'expected exists: true or false');
          ok = false;
        } else leaves.push(this.leaf(field, op, v, false, opPos));
        continue;
      }
      if (SCALAR_OPS.has(op) && !isScalar(v)) {
        this.err(opPos, `expected one value for ${op}, found ${describe(v)}`);
        ok = false;
        continue;
      }
      if (LIST_OPS.has(op)) {
        const list = Array.isArray(v) ? v : [v];
        const bad = list.findIndex((x) => !isScalar(x));
        if (list.length === 0 || bad >= 0) {
          this.err(opPos, `expected a value or a list of values for ${op}${bad >= 0 ? `, found ${describe(list[bad])}` : ''}`);
          ok = false;
          continue;
        }
      }
      leaves.push(this.leaf(field, op, v, nocase === true, opPos));
    }
    if (!ok) return undefined;
    if (leaves.length === 0) return this.err(pos, `expected at least one operator for ${field}`);
    return leaves.length === 1 ? leaves[0] : { t: 'all', items: leaves, pos };
  }
}
