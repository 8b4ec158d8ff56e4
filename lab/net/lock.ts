import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { RuntimeError } from '../../common/errors.js';
import { readPidFile } from '../../common/process.js';
import { isRunning } from './processes.js';

/**
 * One `up` or `down` at a time per lab: two builders interleaving `ip` commands would leave a
 * lab neither of them can describe. The lock file holds the owner's PID, so a lock left by a
 * crashed process is recognised and taken over.
 */
export async function withLabLock<T>(lockFile: string, what: string, fn: () => Promise<T>): Promise<T> {
  acquire(lockFile, what);
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function acquire(lockFile: string, what: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readPidFile(lockFile);
    if (owner !== undefined && isRunning(owner)) {
      throw new RuntimeError(`another chot lab command (PID ${owner}) is working on ${what}: wait for it to finish`);
    }
    rmSync(lockFile, { force: true });
  }
  throw new RuntimeError(`cannot take the lock ${lockFile}: remove it if no chot lab command is running`);
}
