/**
 * The detection engine as the collector runs it: one per worker process, fed the
 * records of each stream entry (the 'detectors' consumer group). Rules and lists load
 * from directories and reload live on change; windowed state lives in Redis, so any
 * number of workers see one window.
 *
 *   const engine = new DetectionEngine({ redis, keyPrefix, rulesDir, esPrefix, log });
 *   await engine.start();
 *   const { created, updated } = await engine.processBatch(records, { sensorId, seq, node });
 *   // index each created.doc into created.index with _id = doc.event.id (op_type create),
 *   // apply each update as a partial update, XADD AlertEvents; then XACK the entry.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../common/log.js';
import type { ConnRecord } from '../sensor/record.js';
import { dailyIndex } from '../common/index-names.js';
import { formatDiagnostic, type Diagnostic } from './language/diagnostics.js';
import { ListRegistry } from './lists/registry.js';
import { Detector, type DetectionOutput } from './engine/detector.js';
import { defaultEvidenceIndex, type EvidenceIndex } from './engine/evidence.js';
import { RuleLoader, type LoadReport } from './engine/loader.js';
import { StatelessMatcher } from './engine/matcher.js';
import { MemoryState } from './engine/memory-state.js';
import { RedisState } from './engine/redis-state.js';
import { RuleSet } from './engine/ruleset.js';
import type { StateStore } from './engine/state.js';
import type { BatchContext, EnforcerRecord, HealthRecord } from './records.js';

export type { DetectionOutput, CreatedAlert } from './engine/detector.js';
export type { LoadReport } from './engine/loader.js';
export type { BatchContext, EnforcerRecord, HealthRecord } from './records.js';

export interface DetectionEngineOptions {
  /** Shared windowed state. Without it state is in this process only (one worker, tests). */
  redis?: Redis | Cluster;
  /** The collector's Redis key prefix; the engine's keys are `${keyPrefix}det:{...}`. */
  keyPrefix: string;
  /** Rule directories (or files); default: the shipped pack. */
  rulesDir?: string | string[];
  /** Named lists; default: the `lists/` directory of each rules directory. */
  listsDir?: string | string[];
  /** The Elasticsearch index prefix, for evidence and alert index names. */
  esPrefix: string;
  log: Logger;
  /** Reload rules and lists when their files change (default true). */
  watch?: boolean;
  /** Where a record's document lives; default: the indexer's daily indices. */
  evidenceIndex?: EvidenceIndex;
  maxEvidence?: number;
  /** Replaces the state store (tests). */
  state?: StateStore;
}

export class EngineStats {
  batches = 0;
  records = 0;
  reloads = 0;
  failedReloads = 0;
}

/** The default pack's directory, from source (rules/pack) or from the build (dist/rules → ../../rules/pack). */
export function packDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'pack'), join(here, '..', '..', 'rules', 'pack')]) if (existsSync(p)) return p;
  return join(here, 'pack');
}

export class DetectionEngine {
  readonly stats = new EngineStats();
  readonly lists: ListRegistry;
  private readonly loader: RuleLoader;
  private readonly matcher = new StatelessMatcher();
  private readonly detector: Detector;
  private readonly dirs: string[];
  private current: RuleSet = RuleSet.empty();
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private lastReport: LoadReport | undefined;

  constructor(private readonly o: DetectionEngineOptions) {
    this.dirs = (Array.isArray(o.rulesDir) ? o.rulesDir : [o.rulesDir ?? packDir()]).map((d) => resolve(d));
    const listsDirs = o.listsDir === undefined ? this.dirs.map((d) => join(d, 'lists')) : Array.isArray(o.listsDir) ? o.listsDir : [o.listsDir];
    this.lists = new ListRegistry(listsDirs, {
      loaded: (l, prev) => {
        o.log.info({ list: l.name, type: l.type, entries: l.entries, skipped: l.skippedCount, replaced: prev !== undefined }, 'list loaded');
        for (const s of l.skipped.slice(0, 5)) o.log.warn({ list: l.name, file: l.file, line: s.line }, `list entry skipped: ${s.reason}`);
      },
      failed: (file, error) => o.log.error({ file, error }, 'list not loaded; the previous contents stay'),
    });
    const catalog = { get: (n: string) => this.lists.get(n), typeOf: (n: string) => this.lists.get(n)?.type };
    this.loader = new RuleLoader(this.dirs, catalog);
    const state = o.state ?? (o.redis ? new RedisState(o.redis) : new MemoryState());
    this.detector = new Detector({
      state,
      keyPrefix: o.keyPrefix,
      evidenceIndex: o.evidenceIndex ?? defaultEvidenceIndex(o.esPrefix),
      alertIndex: (t) => dailyIndex(o.esPrefix, 'alerts', t),
      maxEvidence: o.maxEvidence,
    });
  }

  /** Loads lists and rules (errors are logged and reported, never thrown) and starts watching. */
  async start(): Promise<LoadReport> {
    this.lists.load();
    const report = this.reload();
    if (this.o.watch !== false) this.startWatching();
    return report;
  }

  /** Reloads every rule file now; the new rules take over atomically, between batches. */
  reload(): LoadReport {
    const { set, report } = this.loader.load();
    this.current = set;
    this.lastReport = report;
    this.stats.reloads++;
    if (report.rejected.length > 0) this.stats.failedReloads++;
    for (const d of report.diagnostics) this.logDiagnostic(d);
    this.o.log.info({ generation: report.generation, rules: report.rules, files: report.files, rejected: report.rejected.length, kept: report.kept.length }, 'rules loaded');
    return report;
  }

  get rules(): RuleSet {
    return this.current;
  }

  get report(): LoadReport | undefined {
    return this.lastReport;
  }

  get detectorStats(): Detector['stats'] {
    return this.detector.stats;
  }

  /** One stream entry's connection records. Evidence ids are `${sensorId}:${seq}:${position}`. */
  async processBatch(records: readonly ConnRecord[], ctx: BatchContext): Promise<DetectionOutput> {
    const set = this.current; // this batch runs on one generation, whatever reloads meanwhile
    this.stats.batches++;
    this.stats.records += records.length;
    return this.detector.process(this.matcher.matchConn(set, records, ctx));
  }

  async processEnforcer(records: readonly EnforcerRecord[], ctx: BatchContext): Promise<DetectionOutput> {
    const set = this.current;
    this.stats.batches++;
    this.stats.records += records.length;
    return this.detector.process(this.matcher.matchEnforcer(set, records, ctx));
  }

  /** Health observations (one per sensor, made periodically by a collector). */
  async processHealth(records: readonly HealthRecord[]): Promise<DetectionOutput> {
    const set = this.current;
    this.stats.batches++;
    this.stats.records += records.length;
    return this.detector.process(this.matcher.matchHealth(set, records));
  }

  async stop(): Promise<void> {
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.lists.close();
  }

  private startWatching(): void {
    const schedule = (): void => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        try {
          this.reload();
        } catch (err) {
          this.o.log.error({ err: (err as Error).message }, 'rule reload failed; the running rules stay');
        }
      }, 200);
      this.debounce.unref();
    };
    for (const d of this.dirs) {
      try {
        const w = watch(d, { recursive: true }, (_event, name) => {
          if (name && !/\.ya?ml$/.test(String(name))) return;
          schedule();
        });
        w.on('error', (err) => this.o.log.warn({ dir: d, err: err.message }, 'rule directory watch failed'));
        this.watchers.push(w);
      } catch (err) {
        this.o.log.warn({ dir: d, err: (err as Error).message }, 'cannot watch the rule directory; reload() still works');
      }
    }
    // A list that appears or changes may be what a rejected rule was waiting for.
    this.lists.watch(schedule);
  }

  private logDiagnostic(d: Diagnostic): void {
    if (d.severity === 'error') this.o.log.error({ file: d.file, line: d.line, col: d.col, rule: d.ruleId }, formatDiagnostic(d));
    else this.o.log.warn({ file: d.file, line: d.line, col: d.col, rule: d.ruleId }, formatDiagnostic(d));
  }
}
