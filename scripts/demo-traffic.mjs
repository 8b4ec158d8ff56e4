#!/usr/bin/env node
// The demo's traffic: rounds of `chot lab traffic --live` into a lab capture interface,
// in real time, a new seed each round (so new flows, and new alerts once suppression
// windows pass), with a pause between rounds. Bounded: it stops after ROUNDS rounds.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const chotBin = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bin', 'chot.js');
const iface = process.argv[2];
if (!iface) {
  process.stderr.write('usage: demo-traffic.mjs INTERFACE\n');
  process.exit(2);
}
const ROUNDS = Number(process.env.CHOT_DEMO_ROUNDS ?? 500);
const PAUSE_MS = 30_000;

let stopping = false;
let current;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    current?.kill('SIGTERM');
  });
}

for (let round = 1; round <= ROUNDS && !stopping; round++) {
  const seed = (Date.now() + round) % 0xffffffff;
  const code = await new Promise((res) => {
    current = spawn(process.execPath, [chotBin, 'lab', 'traffic', '--live', iface, '--seed', String(seed), '--packets', '20000', '--pace', 'realtime'], { stdio: 'inherit' });
    current.once('exit', (c) => res(c));
  });
  process.stdout.write(`round ${round}: seed ${seed}, exit ${code}\n`);
  if (code !== 0 && !stopping) await new Promise((r) => setTimeout(r, PAUSE_MS));
  if (!stopping) await new Promise((r) => setTimeout(r, PAUSE_MS));
}
