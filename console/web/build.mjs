#!/usr/bin/env node
/**
 * Builds the console's web client with Vite into dist/console-web, where the console
 * server serves it. Everything is bundled: no CDN, font or script from outside (the SOC
 * network is closed), and no inline script (the server's CSP forbids it).
 *
 *   node console/web/build.mjs               # production build
 *   node console/web/build.mjs --watch       # rebuild on change while developing
 *   node console/web/build.mjs --out DIR     # somewhere else (tests build their own copy)
 *   node console/web/build.mjs --no-check    # skip the type check (it runs first by default)
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(here, '..', '..', 'dist', 'console-web');

// The client is JavaScript with JSDoc types, checked by TypeScript before every build
// (console/web/tsconfig.json: DOM types and JSX, apart from the server's build).
if (!process.argv.includes('--no-check')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const check = spawnSync(process.execPath, [tsc, '-p', here], { stdio: 'inherit' });
  if (check.status !== 0) process.exit(check.status ?? 1);
}

await build({
  root: here,
  base: '/',
  logLevel: process.argv.includes('--quiet') ? 'warn' : 'info',
  configFile: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    // Inlining small assets as data: URLs is fine for images, but scripts and styles must be files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
    watch: process.argv.includes('--watch') ? {} : null,
  },
});
