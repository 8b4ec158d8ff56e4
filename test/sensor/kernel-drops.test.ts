/**
 * The kernel's capture counters (sensor/capture/packet-socket.ts): the drop count of cap's
 * packet socket, read with PACKET_STATISTICS. Live part: a veth whose far end is in a
 * namespace of this test; the capturing process stops reading while another process sends
 * more than the capture buffer holds, and every packet sent must be either received or
 * counted as dropped by the kernel. Needs root for the live part.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCapture } from '../../sensor/capture/live.js';
import { descriptorOfSocket, KernelCaptureCounters, packetSocketInodes, socketStatisticsReader } from '../../sensor/capture/packet-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-kdrops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finding and reading a packet socket', () => {
  it('lists the inodes of the packet sockets bound to an interface', () => {
    const table = join(dir, 'packet');
    writeFileSync(
      table,
      [
        'sk               RefCnt Type Proto  Iface R Rmem   User   Inode',
        '0000000000000000 3      3    0003   7     1 0      0      4242',
        '0000000000000000 3      3    0003   9     1 0      0      4243',
        '0000000000000000 3      3    88cc   7     1 0      0      4244',
        'truncated line',
        '',
      ].join('\n'),
    );
    expect([...packetSocketInodes(7, table)]).toEqual([4242, 4244]);
    expect([...packetSocketInodes(1, table)]).toEqual([]);
    expect([...packetSocketInodes(7, join(dir, 'absent'))]).toEqual([]);
  });

  it("finds this process's descriptor of a socket by its inode, and none for an inode it does not hold", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const inode = Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
      expect(inode).toBeGreaterThan(0);
      expect(descriptorOfSocket(inode)).toBe(fd);
      expect(descriptorOfSocket(1)).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('the addon reads a packet socket and refuses anything else with the reason', () => {
    const reader = socketStatisticsReader();
    expect(reader, 'the addon is built by npm run build (native/build.mjs)').toHaveProperty('read');
    if (!('read' in reader)) return;
    expect(() => reader.read(0)).toThrow(/PACKET_STATISTICS/); // stdin is not a packet socket
    expect(() => reader.read(-1)).toThrow(/PACKET_STATISTICS\): Bad file descriptor/);
  });

  it('without the addon: the reason names the missing file', () => {
    const r = socketStatisticsReader(['./no-such-addon.node']);
    expect(r).toEqual({ error: expect.stringMatching(/not built \(.*no-such-addon\.node; run npm run build\)/) });
  });

  it('accumulates reads (the kernel zeroes its counters on each), and keeps the totals once the socket is gone', () => {
    const deltas = [{ packets: 10, drops: 2 }, { packets: 5, drops: 0 }];
    const c = new KernelCaptureCounters(99, () => {
      const d = deltas.shift();
      if (!d) throw new Error('getsockopt(PACKET_STATISTICS): Bad file descriptor');
      return d;
    });
    expect(c.totals()).toEqual({ packets: 10, drops: 2 });
    expect(c.current()).toEqual({ packets: 15, drops: 2 });
    expect(c.totals()).toEqual({ packets: 15, drops: 2 });
    // While the capture runs, counters that cannot be read are unknown, not the last totals.
    expect(c.current()).toBeUndefined();
  });
});

const canRun = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
const ns = `chkd${process.pid % 100000}`;
const near = `${ns}a`;
const far = `${ns}b`;
const ip = (...args: string[]) => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
};

describe.skipIf(!canRun)('kernel drops of a live capture (cap on a veth)', () => {
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('link', 'add', near, 'type', 'veth', 'peer', 'name', far);
    ip('link', 'set', far, 'netns', ns);
    ip('addr', 'add', '10.213.7.1/30', 'dev', near);
    ip('link', 'set', near, 'up');
    ip('-n', ns, 'addr', 'add', '10.213.7.2/30', 'dev', far);
    ip('-n', ns, 'link', 'set', far, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    spawnSync('ip', ['link', 'del', near]);
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('every packet sent is either received or counted as dropped by the kernel', async () => {
    const SENT = 3000;
    // 1 MiB of kernel buffer: with cap's 64 KiB slots, a few dozen packets.
    const capture = new LiveCapture({ device: near, bpf: 'udp dst port 5555', bufferMb: 1 });
    capture.open();
    expect(capture.kernelCountersUnavailable).toBeUndefined();
    let seen = 0;
    const running = capture.run({ packet: () => void seen++ });
    // Another process sends while this one does not read: spawnSync holds this event loop
    // (where cap reads its ring) until the sender is done.
    const sender = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', `const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(200); let n = 0; const next = () => { if (n++ === ${SENT}) return s.close(); s.send(b, 5555, '10.213.7.1', next); }; next();`], { stdio: 'inherit', timeout: 30_000 });
    expect(sender.status).toBe(0);
    for (let i = 0, last = -1; i < 40 && seen !== last; i++) {
      last = seen;
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = capture.stats();
    capture.stop();
    await running;
    expect(s.droppedKernel, `received ${s.received}`).toBeGreaterThan(SENT / 2);
    expect(s.received + s.droppedKernel!).toBe(SENT);
    expect(seen).toBe(s.received);
    // Read once more after the socket is closed: the totals stand.
    expect(capture.stats().droppedKernel).toBe(s.droppedKernel);
  }, 60_000);
});
