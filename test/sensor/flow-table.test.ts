import { describe, expect, it } from 'vitest';
import type { AnalyzerFactory, AppAnalyzer } from '../../sensor/app/analyzer.js';
import { PopulationDataPolicyChecker } from '../../sensor/policy/population-data.js';
import { bytes, ether, ipv4, TcpTalk, udpDatagram, type Frame } from './support/frames.js';
import { only, runFrames } from './support/run.js';

const T0 = 1_700_000_000;
const udp = (t: number, from = 0, sport = 40000, n = 10): Frame => ({
  ts: T0 + t,
  data: from === 0 ? ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(sport, 9000, bytes(n)))) : ether(ipv4('10.0.0.2', '10.0.0.1', 17, udpDatagram(9000, sport, bytes(n)))),
});

describe('timeouts (Zeek defaults) and interim records', () => {
  it('UDP: a minute of silence ends the connection', () => {
    const res = runFrames([udp(0), udp(1, 1), udp(62)]);
    expect(res.finals.map((r) => [r.origPkts, r.respPkts])).toEqual([[1, 1], [1, 0]]);
  });

  it('timeouts are configurable', () => {
    const res = runFrames([udp(0), udp(20)], { flows: { timeouts: { udpInactivity: 10 } } });
    expect(res.finals.length).toBe(2);
  });

  it('TCP attempt: the SYN repeated within 5 s is the same connection, after 5 s a new one', () => {
    const a = new TcpTalk();
    const seq = a.client.seq;
    a.c('S').c('S', 0, { seq, dt: 3 });
    expect(runFrames(a.frames).finals.map((r) => r.origPkts)).toEqual([2]);
    const b = new TcpTalk();
    b.c('S').c('S', 0, { seq, dt: 6 });
    expect(runFrames(b.frames).finals.map((r) => r.origPkts)).toEqual([1, 1]);
  });

  it('TCP: a new SYN after a closed connection starts a new one (port reuse)', () => {
    const t = new TcpTalk();
    t.c('S').s('SA').c('A').c('FA').s('FA').c('A');
    t.client.seq += 100_000;
    t.c('S', 0, { dt: 1 }).s('SA').c('A');
    const res = runFrames(t.frames);
    expect(res.finals.map((r) => [r.connState, r.history])).toEqual([['SF', 'ShAFf'], ['S1', 'ShA']]);
  });

  it('TCP: five minutes of inactivity end an established connection', () => {
    const t = new TcpTalk();
    t.c('S').s('SA').c('A').c('PA', 10, { dt: 301 });
    expect(runFrames(t.frames).finals.length).toBe(2);
  });

  it('a long connection emits interim records every interval while it is active, then its final record', () => {
    const frames: Frame[] = [];
    for (let s = 0; s <= 150; s += 10) frames.push(udp(s), udp(s + 0.5, 1));
    const res = runFrames(frames);
    const interims = res.records.filter((r) => r.interim);
    expect(interims.map((r) => r.origPkts)).toEqual([6, 12]);
    expect(new Set(res.records.map((r) => r.uid)).size).toBe(1);
    const final = only(res);
    expect([final.origPkts, final.respPkts, final.interim]).toEqual([16, 16, false]);
  });

  it('no interim record for a short exchange waiting out its timeout', () => {
    const res = runFrames([udp(0), udp(0.1, 1), udp(200, 0, 40001)]);
    expect(res.records.filter((r) => r.interim)).toEqual([]);
  });
});

describe('the bounded flow table', () => {
  it('never holds more than maxFlows: the stalest connections are ended early, counted, and still recorded', () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 1500; i++) frames.push(udp(i * 0.001, 0, 20000 + i));
    const res = runFrames(frames, { flows: { maxFlows: 1000 } });
    expect(res.finals.length).toBe(1500);
    expect(res.pipeline.table.stats.evicted).toBe(500);
    expect(res.finals.filter((r) => r.evicted).length).toBe(500);
    expect(res.finals.filter((r) => r.evicted).every((r) => r.origP < 20500)).toBe(true);
  });

  it('names the right parent when making room ends the tunnel the new connection came out of', () => {
    // Fifteen established TCP connections (5 min timers) and a GRE tunnel (1 min): the tunnel is due first,
    // so the connection inside it, when the table is full, evicts its own parent.
    const frames: Frame[] = [];
    for (let i = 0; i < 15; i++) frames.push(...new TcpTalk({ cport: 30000 + i, t0: i * 0.01 }).c('S').s('SA').c('A').frames);
    const inner = (port: number) => ipv4('192.168.0.1', '192.168.0.2', 17, udpDatagram(port, 53, bytes(10)));
    const gre = (t: number, port: number): Frame => ({ ts: t, data: ether(ipv4('10.9.0.1', '10.9.0.2', 47, Uint8Array.from([0, 0, 0x08, 0x00, ...inner(port)]))) });
    frames.push(gre(10, 5000), gre(11, 5001)); // (after the attempt timers moved the TCP connections to their 5 min list)
    const res = runFrames(frames, { flows: { maxFlows: 16 } });
    const tunnel = res.finals.filter((r) => r.ipProto === 47);
    const contents = res.finals.filter((r) => r.origH === '192.168.0.1');
    expect(tunnel.length).toBeGreaterThan(0);
    expect(contents.map((r) => r.origP).sort()).toEqual([5000, 5001]);
    for (const r of contents) {
      expect(r.tunnelParents).toHaveLength(1);
      expect(tunnel.map((t) => t.uid)).toContain(r.tunnelParents[0]);
      expect(r.tunnelParents[0]).not.toBe(r.uid);
    }
  });
});

/** A stand-in analyzer reporting a TLS handshake with or without a client certificate. */
function fakeTls(clientCertificate: 'present' | 'absent'): AnalyzerFactory {
  return () => {
    const a: AppAnalyzer = {
      service: 'ssl',
      done: false,
      deliver() {},
      gap() {},
      metadata: () => ({ tls: { tsNs: 0n, version: 0x0303, resumed: false, established: true, history: 'CsxknGIi', serverCertFps: [], clientCertFps: [], clientCertificate } }),
    };
    return a;
  };
}

describe('the population-data policy', () => {
  const policy = new PopulationDataPolicyChecker([{ name: 'dan-cu', cidrs: ['10.0.9.0/24'], ports: [443] }], ['10.0.5.5']);
  const talk = (client: string, payload = 100) => new TcpTalk({ client, server: '10.0.9.1', sport: 443 }).c('S').s('SA').c('A').c('PA', payload).s('PA', 200).frames;

  it('through the enforcer, TLS with a client certificate: sanctioned', () => {
    const r = only(runFrames(talk('10.0.5.5'), { analyzers: fakeTls("present"), policy }));
    expect(r.policy).toEqual({ service: 'dan-cu', transport: 'tls', tlsVersion: 'TLSv12', clientCertificate: true, viaEnforcer: true, bypass: false });
  });

  it('straight from a client: a bypass, even over TLS', () => {
    const r = only(runFrames(talk('10.0.7.7'), { analyzers: fakeTls('present'), policy }));
    expect(r.policy).toMatchObject({ viaEnforcer: false, bypass: true });
  });

  it('no client certificate, or plaintext: a bypass', () => {
    const noCert = only(runFrames(talk('10.0.5.5'), { analyzers: fakeTls('absent'), policy }));
    expect(noCert.policy).toMatchObject({ clientCertificate: false, bypass: true });
    const plain = only(runFrames(talk('10.0.5.5'), { policy }));
    expect(plain.policy).toMatchObject({ transport: 'plaintext', bypass: true });
  });

  it('other services get no verdict', () => {
    const r = only(runFrames(new TcpTalk({ server: '10.0.8.1', sport: 443 }).c('S').frames, { policy }));
    expect(r.policy).toBeUndefined();
  });
});
