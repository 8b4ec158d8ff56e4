import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../common/errors.js';
import { packageRoot } from '../../common/paths.js';
import { processCommandLine, readPidFile, sleep } from '../../common/process.js';
import type { LabPkiFiles } from './pki.js';
import { isRunning, stopPid } from './processes.js';
import type { LabPaths } from './state.js';
import { POPULATION_SERVICE } from './topology.js';

// The plain-JavaScript helpers are not compiled; found from the package root, the same path
// serves the TypeScript sources and a build in dist/.
export const SERVICE_SCRIPT = join(packageRoot, 'lab', 'net', 'population-service.mjs');

const READY_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
const STOP_GRACE_MS = 3_000;

/**
 * Starts the population-data service inside the dc namespace, detached so it outlives the
 * `chot lab up` that started it, and returns its PID once it listens on every address.
 */
export async function startService(namespace: string, paths: LabPaths, pki: LabPkiFiles): Promise<number> {
  if (!existsSync(SERVICE_SCRIPT)) throw new RuntimeError(`the lab's service script is missing: ${SERVICE_SCRIPT}`);
  // Truncated: readiness is read from this log, and an old "listening" line must not count.
  const log = openSync(paths.serviceLog, 'w', 0o644);
  const argv = [
    'netns', 'exec', namespace, process.execPath, SERVICE_SCRIPT,
    '--cert', pki.serverCert, '--key', pki.serverKey, '--ca', pki.caCert,
    '--port', String(POPULATION_SERVICE.port), '--listen', POPULATION_SERVICE.ipv4, '--listen', POPULATION_SERVICE.ipv6,
  ];
  let spawnError: Error | undefined;
  // `ip netns exec` enters the namespace and execs node in place, so this PID is the service's.
  const child = spawn('ip', argv, { detached: true, stdio: ['ignore', log, log], cwd: paths.dir });
  child.once('error', (err) => (spawnError = err));
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new RuntimeError(`cannot start the population-data service: ${spawnError?.message ?? 'spawn failed'}`);
  writeFileSync(paths.servicePid, `${pid}\n`, { mode: 0o644 });

  for (let waited = 0; waited < READY_TIMEOUT_MS; waited += POLL_MS) {
    if (logText(paths).includes('"event":"listening"')) return pid;
    if (!isRunning(pid) || spawnError) {
      throw new RuntimeError(`the population-data service exited at start: ${whyItFailed(paths) || spawnError?.message || 'no output'}`);
    }
    await sleep(POLL_MS);
  }
  throw new RuntimeError(`the population-data service did not listen within ${READY_TIMEOUT_MS / 1000} s (log: ${paths.serviceLog})`);
}

/** The service's PID if it runs and is the one this lab started (a PID file can outlive its process). */
export function runningServicePid(paths: LabPaths): number | undefined {
  const pid = readPidFile(paths.servicePid);
  if (pid === undefined || !isRunning(pid)) return undefined;
  const cmdline = processCommandLine(pid) ?? '';
  return cmdline.includes(SERVICE_SCRIPT) && cmdline.includes(paths.pki) ? pid : undefined;
}

export async function stopService(paths: LabPaths): Promise<{ pid: number; how: 'stopped' | 'killed' | 'absent' } | undefined> {
  const pid = runningServicePid(paths);
  rmSync(paths.servicePid, { force: true });
  if (pid === undefined) return undefined;
  return { pid, how: await stopPid(pid, STOP_GRACE_MS) };
}

function logText(paths: LabPaths): string {
  try {
    return readFileSync(paths.serviceLog, 'utf8');
  } catch {
    return '';
  }
}

/** The line of the log that says why, e.g. Node's "Error: ..." line rather than its stack. */
function whyItFailed(paths: LabPaths): string {
  const lines = logText(paths).trim().split('\n');
  return lines.find((l) => /^(\w*Error|population-service:)/.test(l)) ?? lines.slice(-2).join(' | ');
}
