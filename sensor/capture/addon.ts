/**
 * Loads one of the sensor's native addons (native/*.c, built by `npm run build` into
 * native/build/). An addon is optional: without a C compiler at build time it is
 * missing, and the caller gets the reason instead, to say what it does without it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Where the build puts an addon, seen from this file in the sources and in dist/. */
export function addonPaths(name: string): string[] {
  return [`../../native/build/${name}.node`, `../../../native/build/${name}.node`];
}

export type Loaded<T> = { addon: T } | { error: string };

export function loadAddon<T>(what: string, paths: readonly string[]): Loaded<T> {
  const files = paths.map((p) => fileURLToPath(new URL(p, import.meta.url)));
  for (const file of files) {
    if (!existsSync(file)) continue;
    try {
      return { addon: require(file) as T };
    } catch (err) {
      return { error: `the ${what} addon ${file} does not load: ${(err as Error).message}` };
    }
  }
  return { error: `the ${what} addon is not built (${files.join(' or ')}; run npm run build)` };
}
