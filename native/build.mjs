// Builds the sensor's addons into native/build/, each a few C files against Node-API,
// compiled with the system's C compiler: no node-gyp project for so little. Each is
// rebuilt only when one of its sources (or their headers) is newer. Without a compiler or Node's headers the build
// says so and goes on: the sensor then works without that addon (see each source's
// header for what that costs).
//   packet-stats.node   the kernel's packet socket counters (live capture drops)
//   capture-decode.node `sensor read`'s reading and decoding of capture files, and TLS hello
//                       fingerprinting, on a thread of its own
//   app-analyzers.node  application analyzers that write their Zeek log rows themselves
//                       (`sensor read --format zeek`; DNS, and TLS handshakes and HTTP/1.x on their common paths)
//   flow-core.node      the flow table of sensor/flow/ in C, with its TCP analysis and conn.log rows
//                       (`sensor read --format zeek --no-app`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addons = [
  { name: 'packet-stats', flags: ['-O2'], without: 'the sensor will not report kernel drops' },
  { name: 'capture-decode', sources: ['capture-decode.c', 'tls-hello.c', 'digest.c'], headers: ['descriptor.h'], flags: ['-O3', '-pthread'], without: '`sensor read` will decode every packet in JavaScript (slower)' },
  // (-ffp-contract=off: intervals are computed in doubles exactly as JavaScript computes them, never fused)
  { name: 'flow-core', sources: ['flow-core.c', 'flow-table.c', 'flow-tcp.c', 'flow-history.c', 'flow-reasm.c', 'digest.c', 'zeek-text.c'], headers: ['flow-conn.h', 'descriptor.h'], flags: ['-O2', '-ffp-contract=off'], libs: ['-lm'], without: '`sensor read --no-app` will run the JavaScript flow table (slower)' },
  { name: 'app-analyzers', sources: ['app-addon.c', 'dns.c', 'tls.c', 'tls-hello.c', 'x509.c', 'http.c', 'digest.c', 'replay-log.c', 'slots.c', 'zeek-text.c'], flags: ['-O2', '-ffp-contract=off'], libs: ['-lm'], without: '`sensor read` will run every application analyzer in JavaScript (slower)' },
];

if (process.platform !== 'linux') process.exit(0); // packet sockets are Linux's; the decoder is built with them

const include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
for (const addon of addons) {
  const sources = (addon.sources ?? [`${addon.name}.c`]).map((f) => join(here, f));
  const target = join(here, 'build', `${addon.name}.node`);
  // Rebuilt when any of its sources or the headers beside them is newer.
  const inputs = [...sources, ...sources.map((f) => f.replace(/\.c$/, '.h')).filter((h) => existsSync(h)), ...(addon.headers ?? []).map((f) => join(here, f))];
  const built = existsSync(target) ? statSync(target).mtimeMs : -1;
  if (inputs.every((f) => built >= statSync(f).mtimeMs)) continue;
  if (!include) {
    console.error(`chot: Node's headers (node_api.h) not found next to ${process.execPath} or in /usr/include/node: ${addon.without}`);
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  const cc = process.env.CC || 'cc';
  const module = addon.name.replace(/-/g, '_');
  // (-fvisibility=hidden: only the module's registration is exported, so no helper's name can clash with another library's)
  const r = spawnSync(cc, [...addon.flags, '-Wall', '-Wextra', '-shared', '-fPIC', '-fvisibility=hidden', `-DNODE_GYP_MODULE_NAME=${module}`, `-I${include}`, ...sources, ...(addon.libs ?? []), '-o', target], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    console.error(`chot: could not build ${target} with ${cc}: ${(r.error?.message ?? r.stderr).trim()}: ${addon.without}`);
    continue;
  }
  if (r.stderr.trim()) console.error(r.stderr.trim());
}
