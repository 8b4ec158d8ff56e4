import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up from this file, so the same code works when
 * run from dist/ (compiled) and from the TypeScript sources (tests).
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'chot') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the chot package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const packageRoot: string = findPackageRoot();

/** The compiled `chot` entry point, for tests and for roles that start other roles. */
export const chotBin: string = join(packageRoot, 'bin', 'chot.js');
