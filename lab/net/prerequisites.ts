import { existsSync } from 'node:fs';
import { RuntimeError } from '../../common/errors.js';
import { which } from '../../common/process.js';

const TOOLS: { cmd: string; pkg: string; why: string }[] = [
  { cmd: 'ip', pkg: 'iproute2', why: 'namespaces, veth pairs, addresses and routes' },
  { cmd: 'tc', pkg: 'iproute2', why: 'the WAN wires between veth ends' },
  { cmd: 'sysctl', pkg: 'procps', why: 'forwarding and IPv6 settings inside each namespace' },
];

/** Fails with one line saying what is missing and how to get it. */
export function checkLabPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new RuntimeError('chot lab needs root (it creates network namespaces and veth pairs): run it again with sudo');
  }
  for (const t of TOOLS) {
    if (!which(t.cmd)) throw new RuntimeError(`chot lab needs \`${t.cmd}\` for ${t.why}: install it with \`apt-get install ${t.pkg}\``);
  }
  if (!existsSync('/proc/self/ns/net')) {
    throw new RuntimeError('chot lab needs a kernel with network namespaces (CONFIG_NET_NS): /proc/self/ns/net is missing');
  }
}
