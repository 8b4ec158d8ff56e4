import { resolve } from 'node:path';
import { defaultLabStateDir, labPaths, type LabPaths } from './state.js';
import { DEFAULT_PREFIX, labPlan, validatePrefix, type LabPlan } from './topology.js';

export interface LabOptions {
  /** Names every namespace and root interface, so a test lab and a demo lab coexist (default chot). */
  prefix?: string;
  /** Where lab.json, the PKI and the service's PID and log live (default /var/lib/chot/lab-<prefix>). */
  stateDir?: string;
  /** Receives one human-readable line per step; the library is silent without it. */
  onProgress?: (line: string) => void;
}

export interface ResolvedLabOptions {
  plan: LabPlan;
  paths: LabPaths;
  say: (line: string) => void;
}

export function resolveLabOptions(opts: LabOptions = {}): ResolvedLabOptions {
  const prefix = validatePrefix(opts.prefix ?? DEFAULT_PREFIX);
  // Absolute, because the service's command line is matched against it to recognise the process.
  const dir = resolve(opts.stateDir ?? defaultLabStateDir(prefix));
  return { plan: labPlan(prefix), paths: labPaths(dir), say: opts.onProgress ?? (() => undefined) };
}
