import { readFileSync } from 'node:fs';
import { sleep } from '../../common/process.js';

/**
 * Whether a process still runs. Unlike a signal-0 probe, a zombie counts as ended: a detached
 * lab process is reaped by PID 1, which on some machines (container and microVM inits) takes
 * a second or more, and a stop must not wait for that.
 */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state letter follows the command name, which is in parentheses and may contain spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has ended. */
export async function stopPid(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'absent'> {
  if (!isRunning(pid) || !signal(pid, 'SIGTERM')) return 'absent';
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!isRunning(pid)) return 'stopped';
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  for (let waited = 0; waited < 5_000 && isRunning(pid); waited += 50) await sleep(50);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
