/**
 * A rule file as YAML with positions: every value can be traced back to the line and
 * column it came from, so a problem found anywhere (schema, types, lists, compile) is
 * reported where the author wrote it.
 */
import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { Diagnostics, Pos } from './diagnostics.js';

export type Path = ReadonlyArray<string | number>;

export class SourceDoc {
  private constructor(
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses; YAML syntax errors go to `diag` and the result is undefined. */
  static parse(text: string, diag: Diagnostics): SourceDoc | undefined {
    const lines = new LineCounter();
    const list = YAML.parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[];
    if (list.length === 0 || (list.length === 1 && list[0]!.contents === null && list[0]!.errors.length === 0)) {
      diag.error({ line: 1, col: 1 }, 'expected a rule (a mapping) or a list of rules, found an empty file');
      return undefined;
    }
    let ok = true;
    for (const d of list) {
      for (const e of d.errors) {
        const p = lines.linePos(e.pos[0]);
        diag.error({ line: p.line, col: p.col }, `expected valid YAML: ${firstLine(e.message)}`);
        ok = false;
      }
    }
    if (!ok) return undefined;
    if (list.length !== 1) {
      const second = list[1];
      const p = second ? lines.linePos(second.range[0]) : { line: 1, col: 1 };
      diag.error({ line: p.line, col: p.col }, 'expected one YAML document per rule file (put several rules in one list instead of "---" documents)');
      return undefined;
    }
    return new SourceDoc(text, list[0]!, lines);
  }

  pos(offset: number): Pos {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** The node at a path (map keys and sequence indexes). */
  node(path: Path): Node | undefined {
    let n: unknown = this.doc.contents;
    for (const k of path) {
      if (isMap(n)) n = n.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(k))?.value;
      else if (isSeq(n) && typeof k === 'number') n = n.items[k];
      else return undefined;
    }
    return (n ?? undefined) as Node | undefined;
  }

  /** Where the value at `path` starts, or the nearest enclosing node that exists. */
  posOf(path: Path): Pos {
    for (let len = path.length; len >= 0; len--) {
      const n = this.node(path.slice(0, len));
      if (n?.range) return this.pos(n.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** Where the key `key` of the mapping at `path` is written. */
  keyPos(path: Path, key: string): Pos {
    const n = this.node(path);
    if (isMap(n)) {
      const pair = n.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      const k = pair?.key as Node | undefined;
      if (k?.range) return this.pos(k.range[0]);
    }
    return this.posOf(path);
  }

  /** The exact source text of the node at `path` (a rule's text, for its version hash). */
  textOf(path: Path): string {
    const n = this.node(path);
    if (!n?.range) return this.text;
    return this.text.slice(n.range[0], n.range[1]);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
