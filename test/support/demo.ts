import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../common/paths.js';

/** Runs `scripts/demo.mjs up|down|status` (what `npm start` runs) with the given environment; its output, both streams. */
export function runDemo(cmd: 'up' | 'down' | 'status', env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'demo.mjs'), cmd], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
