import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { FIELDS } from '../../rules/fields/index.js';
import { newTarget, type TestTarget } from '../../rules/fields/target.js';
import type { RecordKind } from '../../rules/records.js';
import { DetectionEngine, type DetectionEngineOptions } from '../../rules/worker.js';
import type { ConnRecord } from '../../sensor/record.js';

export const silent = pino({ level: 'silent' });
export const T0 = Date.UTC(2026, 0, 1);

/** A record of a kind with fields set by their rule names (as rule test cases do). */
export function target(kind: RecordKind, fields: Record<string, unknown> = {}, timeMs = T0): TestTarget {
  const t = newTarget(kind, timeMs);
  for (const [name, value] of Object.entries(fields)) {
    const set = FIELDS.get(name)?.kinds.get(kind)?.set;
    if (!set) throw new Error(`no setter for ${name} on ${kind}`);
    set(t, value as never);
  }
  return t;
}

export function conn(fields: Record<string, unknown> = {}, timeMs = T0, kind: RecordKind = 'connection'): ConnRecord {
  return target(kind, fields, timeMs).conn;
}

/** A temporary directory of rule files (and lists), removed by cleanup(). */
export function ruleDir(files: Record<string, string>): { dir: string; write(name: string, text: string): void; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chot-rules-'));
  const write = (name: string, text: string): void => {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  for (const [n, t] of Object.entries(files)) write(n, t);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function engineFor(files: Record<string, string>, o: Partial<DetectionEngineOptions> = {}): Promise<{ engine: DetectionEngine; dir: ReturnType<typeof ruleDir> }> {
  const dir = ruleDir(files);
  const engine = new DetectionEngine({ keyPrefix: `t${Math.random().toString(36).slice(2)}:`, esPrefix: 'chot', log: silent, watch: false, rulesDir: dir.dir, ...o });
  await engine.start();
  return { engine, dir };
}

export const CTX = { sensorId: 'sensor-1', seq: 7, node: '01/001/00001' };
