import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { RuntimeError } from '../../common/errors.js';
import { isProcessAlive, sleep } from '../../common/process.js';

/**
 * A lock file serialising writers of one CA directory across processes (the
 * enrollment service, `chot certs revoke`, a bulk `token` run). Node has no flock,
 * so this is O_EXCL creation holding the owner's pid. A lock whose owner on this
 * host has died (kill -9) is removed; two processes breaking the same stale lock at
 * the same instant is the one race left, and it needs a crash to begin with.
 */
export interface LockOptions {
  timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

// Within one process, callers queue on a promise chain: the file lock alone would
// let two async operations of the same process (two enrollment requests) interleave.
const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` holding the lock; not re-entrant (a nested call on the same path waits forever). */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.then(async () => {
    await acquire(path, opts.timeoutMs ?? 30_000);
    try {
      return await fn();
    } finally {
      release(path);
    }
  });
  const tail = run.catch(() => undefined);
  queues.set(path, tail);
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return run;
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    // An unreadable holder is a lock being written right now; wait for it.
    if (holder && holder.host === hostname() && !isProcessAlive(holder.pid)) {
      try {
        unlinkSync(path);
      } catch {
        // someone else broke it first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new RuntimeError(`the CA directory is busy: ${path} is held by pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 100);
  }
}

function release(path: string): void {
  const holder = readHolder(path);
  if (holder?.pid === process.pid && holder.host === hostname()) unlinkSync(path);
}
