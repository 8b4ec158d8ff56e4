/**
 * `chot rules lint|test|import-sigma|fields`. lint and test exit 1 on any failure (for
 * CI), 2 on a usage error; diagnostics go to standard output as file:line:col.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { RuntimeError, UsageError } from '../common/errors.js';
import { FIELDS } from './fields/index.js';
import { fieldTable } from './fields/doc.js';
import { checkFile, ruleFiles } from './engine/loader.js';
import { RedisState } from './engine/redis-state.js';
import { RuleSet } from './engine/ruleset.js';
import { formatDiagnostic, type Diagnostic } from './language/diagnostics.js';
import { ListRegistry } from './lists/registry.js';
import { RECORD_KINDS, type RecordKind } from './records.js';
import { importSigmaDir } from './sigma/import.js';
import { runRuleTests } from './testing/runner.js';
import { packDir } from './worker.js';
import { readFileSync } from 'node:fs';

function dirsOf(args: string[]): string[] {
  const dirs = args.length > 0 ? args.map((d) => resolve(d)) : [packDir()];
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`no such file or directory: ${d}`);
  return dirs;
}

function listsFor(dirs: string[], listsDir: string | undefined): ListRegistry {
  if (listsDir && !existsSync(resolve(listsDir))) throw new UsageError(`--lists: no such directory: ${resolve(listsDir)}`);
  const reg = new ListRegistry(listsDir ? [resolve(listsDir)] : dirs.map((d) => join(d, 'lists')));
  const { errors } = reg.load();
  for (const e of errors) process.stderr.write(`${e.file}: list not loaded: ${e.error}\n`);
  return reg;
}

function catalog(reg: ListRegistry) {
  return { get: (n: string) => reg.get(n), typeOf: (n: string) => reg.get(n)?.type };
}

function print(ds: Diagnostic[]): void {
  for (const d of ds) process.stdout.write(`${formatDiagnostic(d)}\n`);
}

export function registerRulesCommands(program: Command): Command {
  const rules = program.command('rules').description('the detection rule language: lint and test rule files, import Sigma rules, list fields');

  rules
    .command('lint')
    .description('parse and type-check rule files without running them (exit 1 on any error)')
    .argument('[paths...]', 'rule directories or files (default: the shipped pack)')
    .option('--lists <dir>', 'named lists the rules reference (default: lists/ in each path)')
    .option('--strict', 'treat warnings (no tests, unindexed rules) as errors')
    .action((paths: string[], o: { lists?: string; strict?: boolean }) => {
      const dirs = dirsOf(paths);
      const reg = listsFor(dirs, o.lists);
      const files = ruleFiles(dirs);
      const all: Diagnostic[] = [];
      const ids = new Map<string, string>();
      let count = 0;
      for (const file of files) {
        const checked = checkFile(file, readFileSync(file, 'utf8'), catalog(reg));
        all.push(...checked.diagnostics);
        if (checked.diagnostics.some((d) => d.severity === 'error')) continue;
        for (const r of checked.rules) {
          count++;
          const other = ids.get(r.id);
          if (other) all.push({ file, line: r.pos.line, col: r.pos.col, severity: 'error', message: `rule id ${r.id} is already defined in ${other}`, ruleId: r.id });
          ids.set(r.id, file);
          if (r.tests.length === 0) all.push({ file, line: r.pos.line, col: r.pos.col, severity: 'warning', message: `rule ${r.id} has no tests`, ruleId: r.id });
          try {
            const set = new RuleSet([{ ast: r, ruleset: 'lint' }], catalog(reg));
            for (const m of set.rules[0]?.matchers ?? []) {
              if (!m.plan && r.match) all.push({ file, line: r.pos.line, col: r.pos.col, severity: 'warning', message: `rule ${r.id} has no indexable test (an equality, list, CIDR, ".suffix" or lower bound) and runs on every ${m.kind} record`, ruleId: r.id });
            }
          } catch (err) {
            all.push({ file, line: r.pos.line, col: r.pos.col, severity: 'error', message: `cannot compile rule ${r.id}: ${(err as Error).message}`, ruleId: r.id });
          }
        }
      }
      print(all);
      const errors = all.filter((d) => d.severity === 'error' || (o.strict && d.severity === 'warning')).length;
      const warnings = all.filter((d) => d.severity === 'warning').length;
      process.stderr.write(`${files.length} files, ${count} rules: ${errors} errors, ${warnings} warnings\n`);
      if (errors > 0) throw new RuntimeError(`lint failed: ${errors} error${errors === 1 ? '' : 's'}`);
    });

  rules
    .command('test')
    .description("run the test cases in rule files: records that must raise the rule's alert and records that must not (exit 1 on any failure)")
    .argument('[paths...]', 'rule directories or files (default: the shipped pack)')
    .option('--lists <dir>', 'named lists the rules reference (default: lists/ in each path)')
    .option('--rule <text>', 'only rules whose id contains this')
    .option('--redis <url>', 'run windowed state in this Redis (default: in memory)')
    .option('-v, --verbose', 'print passing tests too')
    .action(async (paths: string[], o: { lists?: string; rule?: string; redis?: string; verbose?: boolean }) => {
      const dirs = dirsOf(paths);
      const reg = listsFor(dirs, o.lists);
      let redis: Redis | undefined;
      if (o.redis) redis = new Redis(o.redis, { maxRetriesPerRequest: 2, lazyConnect: false });
      try {
        const run = await runRuleTests(dirs, {
          lists: catalog(reg),
          filter: o.rule,
          ...(redis ? { state: () => new RedisState(redis!), keyPrefix: `chot-rules-test:${process.pid}:${Date.now()}:` } : {}),
        });
        print(run.diagnostics);
        let failed = 0;
        for (const t of run.outcomes) {
          if (!t.pass) failed++;
          if (!t.pass || o.verbose) process.stdout.write(`${t.pass ? 'ok  ' : 'FAIL'} ${t.ruleId}: ${t.test}${t.pass ? '' : ` (${t.file}:${t.line}): ${t.message}`}\n`);
        }
        const badFiles = new Set(run.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file)).size;
        process.stderr.write(`${run.rules} rules, ${run.outcomes.length} tests: ${run.outcomes.length - failed} passed, ${failed} failed${badFiles ? `; ${badFiles} files with errors` : ''}\n`);
        if (failed > 0 || badFiles > 0) throw new RuntimeError(`rule tests failed: ${failed} test${failed === 1 ? '' : 's'}${badFiles ? `, ${badFiles} bad file${badFiles === 1 ? '' : 's'}` : ''}`);
      } finally {
        redis?.disconnect();
      }
    });

  rules
    .command('import-sigma')
    .description('convert Sigma rules (network connection, DNS, HTTP/proxy, TLS, firewall, Zeek logs; correlations) into Chốt rules')
    .argument('<dir>', 'directory (or file) of Sigma rules')
    .option('--out <dir>', 'write one Chốt rule file per converted rule here (default: print them)')
    .option('--strict', 'exit 1 when any rule cannot be converted')
    .action((dir: string, o: { out?: string; strict?: boolean }) => {
      const src = resolve(dir);
      if (!existsSync(src)) throw new UsageError(`no such file or directory: ${src}`);
      const result = importSigmaDir(src);
      if (o.out) mkdirSync(resolve(o.out), { recursive: true });
      for (const c of result.converted) {
        if (o.out) writeFileSync(join(resolve(o.out), c.fileName), c.yaml);
        else process.stdout.write(`${c.yaml}\n`);
      }
      for (const s of result.skipped) process.stderr.write(`skipped ${s.source}${s.title ? ` (${s.title})` : ''}: ${s.reason}\n`);
      process.stderr.write(`${result.converted.length} converted, ${result.skipped.length} not converted${o.out ? `; written to ${resolve(o.out)}` : ''}\n`);
      if (o.strict && result.skipped.length > 0) throw new RuntimeError(`${result.skipped.length} Sigma rule${result.skipped.length === 1 ? '' : 's'} could not be converted`);
    });

  rules
    .command('fields')
    .description('the fields rules can test, by record kind, with where each comes from')
    .option('--kind <kind>', `only this kind (${RECORD_KINDS.join(', ')})`)
    .option('--markdown', 'the whole table as Markdown (as rules/README.md embeds it)')
    .action((o: { kind?: string; markdown?: boolean }) => {
      if (o.markdown) {
        process.stdout.write(fieldTable());
        return;
      }
      if (o.kind && !(RECORD_KINDS as readonly string[]).includes(o.kind)) throw new UsageError(`--kind: expected one of ${RECORD_KINDS.join(', ')}, got "${o.kind}"`);
      for (const f of o.kind ? FIELDS.forKind(o.kind as RecordKind) : FIELDS.all()) {
        const kinds = [...f.kinds.keys()].join(',');
        process.stdout.write(`${f.name.padEnd(44)} ${(f.type + (f.array ? '[]' : '')).padEnd(9)} ${kinds.padEnd(30)} ${f.doc}\n`);
      }
    });

  return rules;
}
