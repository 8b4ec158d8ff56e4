import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki } from '../../lab/net/pki.js';
import { packageRoot } from '../../common/paths.js';
import { FrameTap, injectFrames, labDown, labStatus, labUp, openLab, ROUTERS, type Lab, type TimedFrame } from '../../lab/net/index.js';
import { run } from '../../lab/net/commands.js';
import { isRunning } from '../../lab/net/processes.js';
import { ETHERTYPE, ipv4Bytes, ipv6Bytes, mplsLabelled, readIp, udpFrame, vlanTagged } from './net-frames.js';

// Real kernel, real namespaces. Its own prefix and state directory, so it never touches a demo
// lab (prefix chot) or another suite's lab while they run.
const prefix = 'chotn';
const stateDir = '/var/lib/chot/test-lab-chotn';
const opts = { prefix, stateDir };
const WAIT_MS = 5_000;

const macOf = (lab: Lab, host: 'commune' | 'district', iface: string): string => lab.host(host).interfaces.find((i) => i.name === iface)!.mac!;

async function rootNames(): Promise<{ links: string[]; namespaces: string[] }> {
  const links = (JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname);
  const ns = (await run(['ip', '-j', 'netns', 'list'])).stdout.trim();
  const namespaces = ns ? (JSON.parse(ns) as { name: string }[]).map((n) => n.name) : [];
  return { links: links.filter((n) => n.startsWith(`${prefix}-`)), namespaces: namespaces.filter((n) => n.startsWith(`${prefix}-`)) };
}

describe('the network lab', () => {
  let lab: Lab;
  const taps: FrameTap[] = [];
  const tap = (iface: string, filter: string): FrameTap => {
    const t = FrameTap.open(iface, filter);
    taps.push(t);
    return t;
  };
  const rogueDir = mkdtempSync(join(tmpdir(), 'chot-lab-rogue-'));

  beforeAll(async () => {
    await labDown(opts); // whatever an earlier, crashed run left
    lab = await labUp(opts);
  }, 120_000);

  // cap aborts the process if an interface disappears under an open handle: close them early.
  afterEach(() => {
    for (const t of taps.splice(0)) t.close();
  });

  afterAll(async () => {
    rmSync(rogueDir, { recursive: true, force: true });
    await labDown(opts);
  }, 60_000);

  it('builds every namespace, capture interface and the service, and says so in status', async () => {
    const status = await labStatus(opts);
    expect(status.state).toBe('up');
    expect(status.namespaces.every((n) => n.present)).toBe(true);
    expect(status.captureInterfaces.map((c) => c.name)).toEqual(['chotn-c-wan', 'chotn-d-wan', 'chotn-p-wan']);
    expect(status.captureInterfaces.every((c) => c.present && c.up)).toBe(true);
    expect(status.service).toMatchObject({ address: '198.18.0.10', port: 8443, running: true, answers: true, pid: lab.service.pid });
    for (const key of ['caKey', 'serverKey', 'clientKey'] as const) {
      const file = key === 'caKey' ? join(stateDir, 'pki', 'ca.key') : key === 'serverKey' ? join(stateDir, 'pki', 'service.key') : lab.service.clientKey;
      expect(statSync(file).mode & 0o777, file).toBe(0o600);
    }
  });

  it('is found by another process through lab.json', () => {
    const found = openLab(opts);
    expect(found.service).toEqual(lab.service);
    expect(found.captureInterface('commune')).toBe('chotn-c-wan');
    expect(found.address('attacker', 6)).toBe('fd00:c407:0:10::66');
  });

  it('runs commands inside a host, with a time limit', async () => {
    const addr = await lab.exec('client1', ['ip', '-br', 'address', 'show', 'dev', 'lan0']);
    expect(addr.code).toBe(0);
    expect(addr.stdout).toContain('198.18.10.11/24');
    expect(addr.stdout).toContain('fd00:c407:0:10::11/64');
    const slow = await lab.exec('client1', ['sleep', '5'], { timeoutMs: 300 });
    expect(slow.timedOut).toBe(true);
  });

  it('shows a connection from client1 to the service on every router\'s capture interface', async () => {
    const client = lab.address('client1');
    const svc = lab.service.ipv4;
    const byRouter = ROUTERS.map((r) => tap(lab.captureInterface(r), `tcp and host ${client} and host ${svc} and port 8443`));
    const reply = await lab.requestService({ from: 'client1', path: '/healthz' });
    expect(reply).toMatchObject({ ok: true, status: 200 });

    const fromClient = (f: Buffer): boolean => {
      const ip = readIp(f);
      return ip?.ethertype === ETHERTYPE.IPV4 && ip.src.equals(ipv4Bytes(client)) && ip.dst.equals(ipv4Bytes(svc));
    };
    const toClient = (f: Buffer): boolean => {
      const ip = readIp(f);
      return ip?.ethertype === ETHERTYPE.IPV4 && ip.src.equals(ipv4Bytes(svc)) && ip.dst.equals(ipv4Bytes(client));
    };
    for (const [i, t] of byRouter.entries()) {
      expect(await t.waitFor(fromClient, WAIT_MS), `${ROUTERS[i]}: client → service`).toBeDefined();
      expect(await t.waitFor(toClient, WAIT_MS), `${ROUTERS[i]}: service → client`).toBeDefined();
    }
    // On the commune's WAN the frame is the commune router's, addressed to the district router.
    const commune = (await byRouter[0]!.waitFor(fromClient, WAIT_MS))!;
    expect(readIp(commune)).toMatchObject({ srcMac: macOf(lab, 'commune', 'wan0'), dstMac: macOf(lab, 'district', 'down0') });
    // The veths hand the wire one segment per frame, as a real link would.
    expect(Math.max(...byRouter[0]!.frames.map((f) => f.length))).toBeLessThanOrEqual(1514);
  });

  it('reaches the service over IPv6 across every router', async () => {
    const t = tap(lab.captureInterface('province'), 'ip6 and tcp port 8443');
    const reply = await lab.requestService({ from: 'client2', family: 6, path: '/citizen/079201001234' });
    expect(reply).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(reply.body!)).toMatchObject({ id: '079201001234', provinceCode: '079', synthetic: true });
    const seen = await t.waitFor((f) => {
      const ip = readIp(f);
      return ip?.ethertype === ETHERTYPE.IPV6 && ip.src.equals(ipv6Bytes(lab.address('client2', 6))) && ip.dst.equals(ipv6Bytes(lab.service.ipv6));
    }, WAIT_MS);
    expect(seen).toBeDefined();
  });

  it('demands a client certificate from the lab CA', async () => {
    const withCert = await lab.requestService({ from: 'client1', path: '/citizen/001099012345' });
    expect(withCert).toMatchObject({ ok: true, status: 200 });

    const without = await lab.requestService({ from: 'attacker', clientCertificate: 'none' });
    expect(without.ok).toBe(false);
    expect(without.code).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/);

    const rogue = createLabPki(rogueDir, { labName: 'rogue', serverIps: [lab.service.ipv4] });
    const foreign = await lab.requestService({ from: 'attacker', clientCertificate: { cert: rogue.clientCert, key: rogue.clientKey } });
    expect(foreign.ok).toBe(false);
    expect(foreign.code).toMatch(/UNKNOWN_CA|ECONNRESET|EPIPE/);

    const bad = await lab.requestService({ from: 'client1', path: '/citizen/12ab' });
    expect(bad).toMatchObject({ ok: true, status: 400 });
  });

  it('injects frames, VLAN-tagged and MPLS-labelled ones included, that a capture on the interface sees', async () => {
    const iface = lab.captureInterface('commune');
    const srcMac = '02:c4:07:99:00:01';
    const t = tap(iface, `ether src ${srcMac}`);
    const plain = udpFrame({ srcMac, dstMac: macOf(lab, 'commune', 'wan0'), src: '198.18.99.1', dst: lab.address('commune'), sport: 40000, dport: 9, payload: Buffer.from('chot-lab plain') });
    const frames = [plain, vlanTagged(plain, 100), mplsLabelled(plain, 16_001), Buffer.alloc(10)];
    const timed: TimedFrame[] = frames.map((frame, i) => ({ ts: BigInt(i) * 1_000n, frame }));

    const result = await injectFrames(iface, timed, { pace: 'topspeed' });
    expect(result).toMatchObject({ sent: 3, rejected: 1, aborted: false });
    expect(result.firstRejection).toMatch(/shorter than an Ethernet header/);
    for (const [i, frame] of frames.slice(0, 3).entries()) {
      expect(await t.waitFor((f) => f.equals(frame), WAIT_MS), ['plain', 'VLAN', 'MPLS'][i]).toBeDefined();
    }
  });

  it('carries a malformed frame across a WAN wire byte for byte', async () => {
    // A bad IPv4 header checksum: a root-namespace bridge with br_netfilter on would drop it.
    const frame = udpFrame({ srcMac: macOf(lab, 'commune', 'wan0'), dstMac: macOf(lab, 'district', 'down0'), src: lab.address('commune'), dst: '198.18.0.99', sport: 7, dport: 9, payload: Buffer.from('chot-lab malformed') });
    frame.writeUInt16BE(frame.readUInt16BE(24) ^ 0xffff, 24);
    const farEnd = tap(lab.record.plan.wanLinks[0]!.upPort, `ether src ${macOf(lab, 'commune', 'wan0')} and udp`);
    // Sent by the commune router itself, so the frame enters the wire where the commune's traffic does.
    const sender = `const { Cap } = require(${JSON.stringify(join(packageRoot, 'node_modules', 'cap'))});
      const c = new Cap(); c.open('wan0', 'less 1', 1 << 20, Buffer.alloc(65535));
      c.send(Buffer.from('${frame.toString('hex')}', 'hex')); c.close();`;
    const sent = await lab.exec('commune', [process.execPath, '-e', sender]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(await farEnd.waitFor((f) => f.equals(frame), WAIT_MS)).toBeDefined();
  });

  it('keeps the frames\' timing when paced in real time, and speeds it up on request', async () => {
    const iface = lab.captureInterface('district');
    const frame = udpFrame({ srcMac: '02:c4:07:99:00:02', dstMac: 'ff:ff:ff:ff:ff:ff', src: '198.18.99.2', dst: '198.18.99.3', sport: 1, dport: 9, payload: Buffer.from('pace') });
    const twoFrames = (): TimedFrame[] => [
      { ts: 0n, frame },
      { ts: 300_000_000n, frame },
    ];
    const realtime = await injectFrames(iface, twoFrames(), { pace: 'realtime' });
    expect(realtime.sent).toBe(2);
    expect(realtime.elapsedMs).toBeGreaterThanOrEqual(290);
    const fast = await injectFrames(iface, twoFrames(), { pace: 10 });
    expect(fast.elapsedMs).toBeGreaterThanOrEqual(25);
    expect(fast.elapsedMs).toBeLessThan(realtime.elapsedMs);
  });

  it('keeps a complete lab on a second up, and rebuilds a half-built one', async () => {
    const again = await labUp(opts);
    expect(again.service.pid).toBe(lab.service.pid);

    await run(['ip', 'link', 'del', 'dev', lab.captureInterface('province')]);
    expect((await labStatus(opts)).state).toBe('partial');
    const oldPid = lab.service.pid;
    lab = await labUp(opts);
    expect(lab.service.pid).not.toBe(oldPid);
    expect(isRunning(oldPid)).toBe(false);
    expect((await labStatus(opts)).state).toBe('up');
  });

  it('goes down completely: no namespace, no root interface, no service, no state', async () => {
    const stray = lab.spawn('attacker', ['sleep', '60'], { stdio: 'ignore' });
    const servicePid = lab.service.pid;
    await labDown(opts);

    const left = await rootNames();
    expect(left.namespaces).toEqual([]);
    expect(left.links).toEqual([]);
    expect(isRunning(servicePid)).toBe(false);
    expect(stray.pid).toBeDefined();
    expect(isRunning(stray.pid!), 'a process left in a lab namespace').toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect((await labStatus(opts)).state).toBe('down');
    await labDown(opts); // and again: nothing to do, no error
  });
});
