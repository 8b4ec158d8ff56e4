/**
 * Rule files → a RuleSet. Every load parses and checks every file; a file with any
 * error is rejected whole, and the last version of it that loaded stays active (a bad
 * edit never silences a rule that worked). Rule ids are unique across files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { RuleAst } from '../language/ast.js';
import { Checker, type ListCatalog } from '../language/check.js';
import { Diagnostics, type Diagnostic } from '../language/diagnostics.js';
import { parseRuleFile } from '../language/parse.js';
import { RuleSet, type ListSource } from './ruleset.js';

export interface LoadReport {
  generation: number;
  files: number;
  rules: number;
  diagnostics: Diagnostic[];
  /** Files rejected this time (errors in diagnostics). */
  rejected: string[];
  /** Rejected files whose previous version is still running. */
  kept: string[];
}

export interface CheckedFile {
  file: string;
  rules: RuleAst[];
  diagnostics: Diagnostic[];
}

/** Every rule file under the directories (YAML, not hidden, not in a `lists` directory), sorted. */
export function ruleFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        if (/\.ya?ml$/.test(dir)) out.push(dir);
        return;
      }
      throw err;
    }
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (n !== 'lists') walk(p);
      } else if (/\.ya?ml$/.test(n)) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/** Parses and type-checks one file. */
export function checkFile(file: string, text: string, lists: ListCatalog): CheckedFile {
  const parsed = parseRuleFile(file, text);
  const diag = new Diagnostics(file);
  diag.list.push(...parsed.diagnostics);
  const checker = new Checker(lists, diag);
  for (const r of parsed.rules) checker.check(r);
  return { file, rules: parsed.rules, diagnostics: diag.list };
}

export class RuleLoader {
  private readonly good = new Map<string, RuleAst[]>();
  private generation = 0;

  constructor(
    private readonly dirs: readonly string[],
    private readonly lists: ListSource & ListCatalog,
  ) {}

  load(): { set: RuleSet; report: LoadReport } {
    const files = ruleFiles(this.dirs);
    const diagnostics: Diagnostic[] = [];
    const rejected: string[] = [];
    const kept: string[] = [];
    const accepted: Array<{ ast: RuleAst; ruleset: string }> = [];
    const owner = new Map<string, string>();
    const seen = new Set<string>();
    for (const file of files) {
      seen.add(file);
      let checked: CheckedFile;
      try {
        checked = checkFile(file, readFileSync(file, 'utf8'), this.lists);
      } catch (err) {
        checked = { file, rules: [], diagnostics: [{ file, line: 1, col: 1, severity: 'error', message: `cannot read the file: ${(err as Error).message}` }] };
      }
      for (const r of checked.rules) {
        const other = owner.get(r.id);
        if (other && other !== file) checked.diagnostics.push({ file, line: r.pos.line, col: r.pos.col, severity: 'error', message: `rule id ${r.id} is already defined in ${other}`, ruleId: r.id });
      }
      diagnostics.push(...checked.diagnostics);
      let rules = checked.rules;
      if (checked.diagnostics.some((d) => d.severity === 'error')) {
        rejected.push(file);
        const previous = this.good.get(file);
        if (!previous) continue;
        kept.push(file);
        rules = previous.filter((r) => !owner.has(r.id));
      } else this.good.set(file, rules);
      const ruleset = this.rulesetOf(file);
      for (const r of rules) {
        owner.set(r.id, file);
        accepted.push({ ast: r, ruleset });
      }
    }
    for (const f of [...this.good.keys()]) if (!seen.has(f)) this.good.delete(f);
    const set = new RuleSet(accepted, this.lists, ++this.generation, (ast, err) => {
      diagnostics.push({ file: ast.file, line: ast.pos.line, col: ast.pos.col, severity: 'error', message: `cannot compile rule ${ast.id}: ${err.message}`, ruleId: ast.id });
    });
    return { set, report: { generation: set.generation, files: files.length, rules: set.rules.length, diagnostics, rejected, kept } };
  }

  private rulesetOf(file: string): string {
    for (const d of this.dirs) {
      const rel = relative(d, file);
      if (!rel.startsWith('..')) return basename(d);
    }
    return 'rules';
  }
}
