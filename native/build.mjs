// Builds native/build/packet-stats.node, the sensor's reader of the kernel's packet
// socket counters (see packet-stats.c). One C file against Node-API, compiled with the
// system's C compiler: no node-gyp project for so little. Rebuilt only when the source is
// newer. Without a compiler or Node's headers the build says so and goes on: the sensor
// then reports kernel drops as unknown.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'packet-stats.c');
const target = join(here, 'build', 'packet-stats.node');

if (process.platform !== 'linux') process.exit(0); // packet sockets are Linux's
if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

const include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
if (!include) {
  console.error(`chot: Node's headers (node_api.h) not found next to ${process.execPath} or in /usr/include/node: the sensor will not report kernel drops`);
  process.exit(0);
}
mkdirSync(dirname(target), { recursive: true });
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=packet_stats', `-I${include}`, source, '-o', target], { encoding: 'utf8' });
if (r.error || r.status !== 0) {
  console.error(`chot: could not build ${target} with ${cc}: ${(r.error?.message ?? r.stderr).trim()}: the sensor will not report kernel drops`);
  process.exit(0);
}
