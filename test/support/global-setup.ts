import { stackDown, stackUp } from '../../stack/index.js';
import { TEST_STACK } from './test-stack.js';

/**
 * Starts the shared test stack (Elasticsearch + Redis) once per run and stops it after.
 * CHOT_TEST_STACK=0 skips it for quick runs of tests that need no services;
 * CHOT_TEST_KEEP_STACK=1 leaves it running between runs while developing.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.CHOT_TEST_STACK === '0') return undefined;
  const started = Date.now();
  await stackUp({ ...TEST_STACK }, (line) => process.stderr.write(`[test stack] ${line}\n`));
  process.stderr.write(`[test stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return async () => {
    if (process.env.CHOT_TEST_KEEP_STACK === '1') return;
    await stackDown({ ...TEST_STACK });
  };
}
