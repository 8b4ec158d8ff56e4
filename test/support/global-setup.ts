import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../../common/process.js';
import { stackDown, stackUp } from '../../stack/index.js';
import { TEST_STACK } from './test-stack.js';

/**
 * Starts the shared test stack (Elasticsearch + Redis) once per run and stops it after.
 * CHOT_TEST_STACK=0 skips it for quick runs of tests that need no services;
 * CHOT_TEST_KEEP_STACK=1 leaves it running between runs while developing.
 *
 * Several runs may share the stack (two people, or a run beside a benchmark): each holds a
 * lease (a file named by its PID) while it runs, and the last one out stops the stack, so
 * no run pulls the services from under another.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.CHOT_TEST_STACK === '0') return undefined;
  const leases = join(TEST_STACK.stateDir, 'leases');
  mkdirSync(leases, { recursive: true });
  const lease = join(leases, String(process.pid));
  writeFileSync(lease, '');
  const started = Date.now();
  await stackUp({ ...TEST_STACK }, (line) => process.stderr.write(`[test stack] ${line}\n`));
  process.stderr.write(`[test stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return async () => {
    rmSync(lease, { force: true });
    if (process.env.CHOT_TEST_KEEP_STACK === '1') return;
    const others = readdirSync(leases).filter((f) => /^\d+$/.test(f) && isProcessAlive(Number(f)));
    if (others.length > 0) {
      process.stderr.write(`[test stack] left running for the other runs using it (PIDs ${others.join(', ')})\n`);
      return;
    }
    await stackDown({ ...TEST_STACK });
  };
}
