#!/usr/bin/env -S node --max-semi-space-size=64
// The one executable. The TypeScript is compiled to dist/ by `npm run build`
// (scripts/start.sh and scripts/test.sh do it), so the hot paths run as plain JS.
// The flags on the first line are the services': a young generation of 64 MiB semi-spaces
// lets a batch's short-lived objects die young instead of being promoted and collected
// again (the collector spent 12-17% less CPU per record with it, BENCHMARKS.md). Whoever
// starts `node bin/chot.js` for a service passes the same flags (scripts/demo.mjs and
// scripts/bench.sh read them from this line).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('chot: not built yet: run `npm run build` (or `npm start`) in the repository first\n');
  process.exit(1);
}
const { run } = await import(main);
await run(process.argv);
