/**
 * `chot rules import-sigma DIR`: every Sigma document under DIR (multi-document YAML
 * files included) becomes a Chốt rule file, or a line saying why it could not. Rules
 * a correlation names are not emitted alone unless the correlation says `generate:
 * true` (Sigma's meaning). Each emitted rule is parsed and type-checked like any rule
 * file before it counts as converted.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import YAML from 'yaml';
import { Checker } from '../language/check.js';
import { Diagnostics, formatDiagnostic } from '../language/diagnostics.js';
import { parseRuleFile } from '../language/parse.js';
import { convertCorrelation, convertRule, Unsupported, type SigmaDoc } from './convert.js';

export interface ConvertedRule {
  source: string;
  id: string;
  fileName: string;
  yaml: string;
}

export interface SkippedRule {
  source: string;
  title?: string;
  reason: string;
}

export interface ImportResult {
  converted: ConvertedRule[];
  skipped: SkippedRule[];
}

interface Entry {
  source: string;
  doc: SigmaDoc;
}

function sigmaFiles(root: string): string[] {
  if (!statSync(root).isDirectory()) return [root];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      if (n.startsWith('.')) continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(n)) out.push(p);
    }
  };
  walk(root);
  return out;
}

export function importSigmaDir(root: string): ImportResult {
  const entries: Entry[] = [];
  const skipped: SkippedRule[] = [];
  const base = statSync(root).isDirectory() ? root : join(root, '..');
  for (const file of sigmaFiles(root)) {
    const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
    docs.forEach((d, i) => {
      const source = `${relative(base, file)}${docs.length > 1 ? `#${i + 1}` : ''}`;
      if (d.errors.length > 0) return skipped.push({ source, reason: `not valid YAML: ${d.errors[0]!.message.split('\n')[0]}` });
      const doc = d.toJS() as unknown;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return skipped.push({ source, reason: 'not a Sigma rule (a mapping)' });
      entries.push({ source, doc: doc as SigmaDoc });
    });
  }
  return importSigma(entries, skipped);
}

export function importSigma(entries: Entry[], skipped: SkippedRule[] = []): ImportResult {
  const byRef = new Map<string, Entry>();
  for (const e of entries) {
    for (const k of [e.doc.name, e.doc.id]) if (typeof k === 'string') byRef.set(k, e);
  }
  // Rules correlations consume are not emitted alone, unless one of them says generate: true.
  const consumed = new Set<Entry>();
  const generated = new Set<Entry>();
  for (const e of entries) {
    const c = e.doc.correlation as Record<string, unknown> | undefined;
    if (!c) continue;
    for (const r of Array.isArray(c.rules) ? c.rules : [c.rules]) {
      const target = byRef.get(String(r));
      if (target) (c.generate === true ? generated : consumed).add(target);
    }
  }
  for (const g of generated) consumed.delete(g);
  const converted: ConvertedRule[] = [];
  const ids = new Set<string>();
  for (const e of entries) {
    const title = typeof e.doc.title === 'string' ? e.doc.title : undefined;
    const fallback = basename(e.source).replace(/\.ya?ml(#\d+)?$/, '');
    if (consumed.has(e)) continue;
    try {
      let rule: Record<string, unknown>;
      if (e.doc.correlation) rule = convertCorrelation(e.doc, fallback, (ref) => byRef.get(ref)?.doc);
      else if (e.doc.detection) rule = convertRule(e.doc, fallback);
      else {
        skipped.push({ source: e.source, title, reason: 'neither a detection nor a correlation (global/filter documents are not supported)' });
        continue;
      }
      if (ids.has(String(rule.id))) rule.id = `${String(rule.id)}-${ids.size}`;
      ids.add(String(rule.id));
      const yaml = `# Converted from Sigma ${e.source}${e.doc.id ? ` (${String(e.doc.id)})` : ''} by chot rules import-sigma.\n${YAML.stringify(rule, { lineWidth: 0 })}`;
      const problem = verify(yaml, `${String(rule.id)}.yaml`);
      if (problem) skipped.push({ source: e.source, title, reason: `converted rule does not check: ${problem}` });
      else converted.push({ source: e.source, id: String(rule.id), fileName: `${String(rule.id)}.yaml`, yaml });
    } catch (err) {
      if (err instanceof Unsupported) skipped.push({ source: e.source, title, reason: err.message });
      else skipped.push({ source: e.source, title, reason: `conversion failed: ${(err as Error).message}` });
    }
  }
  return { converted, skipped };
}

/** The emitted rule parsed and checked like any rule file; the first error, if any. */
function verify(yaml: string, name: string): string | undefined {
  const parsed = parseRuleFile(name, yaml);
  const diag = new Diagnostics(name);
  diag.list.push(...parsed.diagnostics);
  const checker = new Checker({ typeOf: () => undefined }, diag);
  for (const r of parsed.rules) checker.check(r);
  const first = diag.list.find((d) => d.severity === 'error');
  return first ? formatDiagnostic(first) : undefined;
}

