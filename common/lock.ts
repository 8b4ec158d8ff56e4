import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError } from './errors.js';
import { isProcessAlive, readPidFile, sleep } from './process.js';

/**
 * Runs fn holding an exclusive lock file that names its owner's PID. Another holder is
 * waited for (up to waitMs); a lock whose owner is gone (crashed) is taken over.
 */
export async function withPidLock<T>(lockFile: string, opts: { what: string; waitMs: number }, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readPidFile(lockFile);
    if (owner === undefined || !isProcessAlive(owner)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RuntimeError(`another chot process (PID ${owner}) is still working on ${opts.what}: try again when it has finished`);
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
