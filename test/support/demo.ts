import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createEsClient } from '../../collector/index/client.js';
import { packageRoot } from '../../common/paths.js';
import { labDown } from '../../lab/net/index.js';
import { deleteIndicesWithPrefix, testStackConfig } from './test-stack.js';

/** Runs `scripts/demo.mjs up|down|status` (what `npm start` runs) with the given environment; its output, both streams. */
export function runDemo(cmd: 'up' | 'down' | 'status', env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'demo.mjs'), cmd], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * Undoes what a demo test set up, in order: the demo's processes, its lab, the indices
 * it wrote under its prefix, and its working directory.
 */
export async function tearDownDemo(o: { env: Record<string, string> | undefined; labPrefix: string; labState: string; indexPrefix: string; dir: string }): Promise<void> {
  if (o.env) runDemo('down', o.env);
  await labDown({ prefix: o.labPrefix, stateDir: o.labState });
  const es = createEsClient({ ...testStackConfig().elasticsearch, indexPrefix: o.indexPrefix });
  await deleteIndicesWithPrefix(es, o.indexPrefix);
  await es.close();
  rmSync(o.dir, { recursive: true, force: true });
}
