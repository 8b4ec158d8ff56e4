/**
 * Prometheus metrics of a detection engine, read from its counters when scraped (the
 * hot path only increments plain numbers): records and batches in, matches, state
 * repeats and late records, alerts created and updated, rules loaded, failed reloads,
 * and per rule how often it was evaluated, matched and alerted (the tuning view: a rule
 * evaluated on every record has no selective test; one matching everything is too broad).
 */
import { Gauge, type Registry } from 'prom-client';
import { scrapedGauge } from '../common/metrics.js';
import type { CompiledRule } from './compile/rule.js';
import type { DetectionEngine } from './worker.js';

export function registerEngineMetrics(engine: DetectionEngine, registry: Registry): void {
  const gauge = (name: string, help: string, read: () => number): Gauge => scrapedGauge(registry, name, help, read);
  gauge('chot_rules_records_total', 'records the engine has processed', () => engine.stats.records);
  gauge('chot_rules_batches_total', 'batches (stream entries) processed', () => engine.stats.batches);
  gauge('chot_rules_matches_total', 'rule matches turned into alerts or state updates', () => engine.detectorStats.hits);
  gauge('chot_rules_state_duplicates_total', 'records already counted (replayed entries)', () => engine.detectorStats.duplicates);
  gauge('chot_rules_state_late_total', 'records too late for their window (over two windows behind)', () => engine.detectorStats.late);
  gauge('chot_rules_alerts_created_total', 'alerts created', () => engine.detectorStats.created);
  gauge('chot_rules_alerts_updated_total', 'alert updates (suppressed matches folded in)', () => engine.detectorStats.updated);
  gauge('chot_rules_loaded', 'rules running', () => engine.rules.rules.length);
  gauge('chot_rules_generation', 'rule set generation (increments on every reload)', () => engine.rules.generation);
  gauge('chot_rules_reload_failures_total', 'reloads that rejected at least one file', () => engine.stats.failedReloads);
  // Per rule, since the rule set was last loaded (a reload compiles fresh counters).
  const perRule = (name: string, help: string, read: (r: CompiledRule) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['rule'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of engine.rules.rules) this.set({ rule: r.id }, read(r));
      },
    });
  const sum = (r: CompiledRule, k: 'evaluations' | 'matches') => r.matchers.reduce((a, m) => a + m[k], 0);
  perRule('chot_rule_evaluations', 'records a rule was evaluated on (reached through the index) since the last reload', (r) => sum(r, 'evaluations'));
  perRule('chot_rule_matches', 'records a rule matched since the last reload', (r) => sum(r, 'matches'));
  perRule('chot_rule_alerts', 'alerts a rule created since the last reload', (r) => r.alerts);
}
