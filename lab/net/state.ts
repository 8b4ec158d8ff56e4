import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from './topology.js';

/**
 * What a running lab leaves on disk, in one directory per prefix, so `down` and `status` work
 * from any process and the traffic generator or a sensor can find the lab without flags.
 */

export const LAB_RECORD_FORMAT = 1;

export function defaultLabStateDir(prefix: string): string {
  return `/var/lib/chot/lab-${prefix}`;
}

export interface LabPaths {
  dir: string;
  record: string;
  lock: string;
  pki: string;
  servicePid: string;
  serviceLog: string;
}

export function labPaths(dir: string): LabPaths {
  return {
    dir,
    record: join(dir, 'lab.json'),
    lock: join(dir, 'lab.lock'),
    pki: join(dir, 'pki'),
    servicePid: join(dir, 'service.pid'),
    serviceLog: join(dir, 'service.log'),
  };
}

export interface ServiceRecord {
  host: 'dc';
  ipv4: string;
  ipv6: string;
  port: number;
  pid: number;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  log: string;
}

/** lab.json: written last by `up`, so its presence means the build finished. */
export interface LabRecord {
  format: typeof LAB_RECORD_FORMAT;
  prefix: string;
  stateDir: string;
  createdAt: string;
  plan: LabPlan;
  service: ServiceRecord;
}

export function writeLabRecord(paths: LabPaths, record: LabRecord): void {
  // Written aside and renamed, so a reader never sees half a file.
  const tmp = `${paths.record}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, paths.record);
}

/** The record of the lab in this directory, or undefined if there is none or it is not ours. */
export function readLabRecord(paths: LabPaths, prefix: string): LabRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(paths.record, 'utf8'));
  } catch {
    return undefined;
  }
  const r = parsed as Partial<LabRecord>;
  if (r.format !== LAB_RECORD_FORMAT || r.prefix !== prefix || !r.plan || !r.service) return undefined;
  return r as LabRecord;
}

export function ensureStateDir(paths: LabPaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o755 });
}

/**
 * Removes the files the lab wrote, then the directory if nothing else is in it: a --state-dir
 * may point somewhere a user keeps other things, so this never deletes what it did not make.
 */
export function removeLabFiles(paths: LabPaths): void {
  for (const f of [paths.record, `${paths.record}.tmp`, paths.servicePid, paths.serviceLog]) rmSync(f, { force: true });
  rmSync(paths.pki, { recursive: true, force: true });
}

export function removeStateDirIfEmpty(paths: LabPaths): void {
  if (!existsSync(paths.dir)) return;
  try {
    rmdirSync(paths.dir);
  } catch {
    // not empty: someone keeps other files there
  }
}
