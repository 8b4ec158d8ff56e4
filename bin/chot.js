#!/usr/bin/env node
// The one executable. The TypeScript is compiled to dist/ by `npm run build`
// (scripts/start.sh and scripts/test.sh do it), so the hot paths run as plain JS.
// The collector runs with Node flags of its own (scripts/collector-node-flags): its
// launchers pass them, since one executable serves every role and the sensor wants none.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('chot: not built yet: run `npm run build` (or `npm start`) in the repository first\n');
  process.exit(1);
}
const { run } = await import(main);
await run(process.argv);
