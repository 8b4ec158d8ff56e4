/**
 * The native flow table (native/flow-table.c through sensor/flow/native-table.ts) against
 * the JavaScript one: the same capture read both ways must give byte-identical conn.log
 * and weird.log (uids included: both draw them from the same seed), and the same
 * counters. Captures: the traffic generator's (VLAN, QinQ, MPLS, IPv6, ICMP, every
 * application), crafted frames of every kind the decoders know (tunnels, fragments, bad
 * checksums, extension headers) mutated by the hundred thousand, time running backwards,
 * and the table's limits (eviction, interim records, records at close).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';
import type { AnalyzerFactory } from '../../sensor/app/analyzer.js';
import { createAppAnalyzer, zeekLogAnalyzers } from '../../sensor/app/index.js';
import { NativeFileReader } from '../../sensor/capture/native-reader.js';
import { flowCoreAddon } from '../../sensor/flow/native-table.js';
import { createAppLogs } from '../../sensor/output/app-logs.js';
import { ZeekDirOutput } from '../../sensor/output/zeek-dir.js';
import { Pipeline, type PipelineOptions } from '../../sensor/pipeline.js';
import { createReadPipeline, readSettings } from '../../sensor/read.js';
import { craftedFrames, framesOf, mutated } from './support/corpus.js';
import { ether, icmpMessage, ipv4, pcapBytes, pcapngBytes, TcpTalk, tcpSegment, udpDatagram, withChecksum, type Frame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-native-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

interface Reading {
  logs: Record<string, string>;
  counters: unknown;
  native: boolean;
}

type ReadOpts = PipelineOptions['flows'] & { checksums?: boolean; analyzers?: 'native' | 'js' | AnalyzerFactory };

const LOGS = ['conn.log', 'weird.log', 'dns.log', 'ssl.log', 'x509.log', 'http.log', 'ssh.log'];

/** A capture read into Zeek logs with the native table or the JavaScript one (and application analyzers, if asked); the logs without their #open/#close times. */
function zeekRead(file: string, flows: 'native' | 'js', o: ReadOpts = {}): Reading {
  const out = join(dir, `out-${runs++}`);
  const { checksums, analyzers, ...flowOpts } = o;
  const pipeline = new Pipeline({
    outputs: [new ZeekDirOutput(out, analyzers === undefined ? undefined : createAppLogs)],
    analyzers: analyzers === undefined ? undefined : analyzers === 'native' ? zeekLogAnalyzers().factory : analyzers === 'js' ? createAppAnalyzer : analyzers,
    nativeFlows: flows === 'native',
    flows: { uidSeed: 11, ...flowOpts },
    decoder: { verifyIpChecksum: checksums !== false, verifyTransportChecksums: checksums !== false },
  });
  const reader = new NativeFileReader(file);
  reader.readAll(pipeline);
  pipeline.finish();
  expect(reader.mode).toBe('native');
  const logs: Record<string, string> = {};
  for (const f of LOGS) {
    const path = join(out, f);
    logs[f] = existsSync(path) ? readFileSync(path, 'utf8').replace(/^#(open|close)\t.*\n/gm, '') : '(none)';
  }
  rmSync(out, { recursive: true, force: true });
  return {
    logs,
    counters: { pipeline: { ...pipeline.stats }, table: { ...pipeline.table.stats }, weirds: pipeline.weirds.snapshot(), reader: reader.stats(), decoded: reader.decoded, bad: reader.badRecords },
    native: pipeline.native !== undefined,
  };
}

/** Reads the capture both ways and holds them to the same logs and counters; returns the JavaScript table's reading. */
function same(file: string, o: ReadOpts = {}): Reading {
  const js = zeekRead(file, 'js', o);
  const native = zeekRead(file, 'native', o);
  expect(js.native).toBe(false);
  expect(native.native).toBe(true);
  for (const f of Object.keys(js.logs)) {
    const a = js.logs[f]!.split('\n');
    const b = native.logs[f]!.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    // The first line that differs, rather than two logs of thousands of lines side by side.
    expect({ file: f, line: i, native: b[i] ?? null, rows: b.length }).toEqual({ file: f, line: i, native: a[i] ?? null, rows: a.length });
  }
  expect(native.counters).toEqual(js.counters);
  return js;
}

function rows(r: Reading, log: string): string[] {
  return r.logs[log]!.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const loaded = flowCoreAddon();

describe('native flow table', () => {
  it('is built (npm run build)', () => {
    expect(loaded).toHaveProperty('addon');
  });

  it.runIf('addon' in loaded)('makes the JavaScript table’s logs from generator captures (µs and ns times)', async () => {
    for (const [name, opts] of [
      ['gen-us', { seed: 41, packets: 40_000 }],
      ['gen-ns', { seed: 42, packets: 30_000, nanosecond: true }],
    ] as const) {
      const file = join(dir, `${name}.pcap`);
      await writeCapture(file, opts);
      const r = same(file);
      // The comparison had something to compare: connections of every transport, weirds, labels.
      const conn = rows(r, 'conn.log');
      expect(conn.length).toBeGreaterThan(500);
      for (const proto of ['\ttcp\t', '\tudp\t', '\ticmp\t']) expect(conn.some((l) => l.includes(proto)), proto).toBe(true);
      expect(conn.some((l) => /\t\d+(,\d+)*\tF\t/.test(l) && !/\t-\tF\t/.test(l)), 'MPLS labels').toBe(true);
    }
  });

  it.runIf('addon' in loaded)('and at its limits: evictions, interim records, records at the close, checksums off', async () => {
    const file = join(dir, 'limits.pcap');
    await writeCapture(file, { seed: 43, packets: 30_000 });
    const evicting = same(file, { maxFlows: 1000 });
    expect((evicting.counters as { table: { evicted: number } }).table.evicted).toBeGreaterThan(0);
    const interim = same(file, { interimSec: 1 });
    expect(rows(interim, 'conn.log').some((l) => l.includes('\tT\t-\t-\t-\t-\t-\t-'))).toBe(true);
    same(file, { recordAt: 'close' });
    same(file, { interimSec: 0, checksums: false });
    // A full table whose stalest connection is the tunnel the next new connection comes out of.
    const frames: Frame[] = [];
    for (let i = 0; i < 15; i++) frames.push(...new TcpTalk({ cport: 30000 + i, t0: 1_767_225_600 + i * 0.01 }).c('S').s('SA').c('A').frames);
    const inner = (port: number) => ipv4('192.168.0.1', '192.168.0.2', 17, withChecksum('192.168.0.1', '192.168.0.2', 17, udpDatagram(port, 53, new Uint8Array(10))));
    for (let k = 0; k < 4; k++) frames.push({ ts: 1_767_225_610 + k, data: ether(ipv4('10.9.0.1', '10.9.0.2', 47, Uint8Array.from([0, 0, 0x08, 0x00, ...inner(5000 + k)]))) });
    const tunnel = join(dir, 'tunnel-evicted.pcap');
    writeFileSync(tunnel, pcapBytes(frames));
    expect(rows(same(tunnel, { maxFlows: 16 }), 'conn.log').filter((l) => l.includes('\t192.168.0.1\t'))).toHaveLength(4);
    // Nested: IP in IP, then VXLAN, then TCP; making room for the TCP connection ends the VXLAN one, whose own parent must still be named.
    const nested: Frame[] = [];
    for (let i = 0; i < 14; i++) nested.push({ ts: 1_767_225_600, data: ether(ipv4('10.0.0.1', '10.0.0.2', 6, withChecksum('10.0.0.1', '10.0.0.2', 6, tcpSegment(40000 + i, 50000, 1000, 2000, 0x10, new Uint8Array(0))))) });
    const innermost = ether(ipv4('5.5.5.5', '6.6.6.6', 6, withChecksum('5.5.5.5', '6.6.6.6', 6, tcpSegment(41000, 51000, 1, 1, 0x10, new Uint8Array(0)))));
    const vxlan = ipv4('3.3.3.3', '4.4.4.4', 17, withChecksum('3.3.3.3', '4.4.4.4', 17, udpDatagram(5555, 4789, Uint8Array.from([8, 0, 0, 0, 0, 0, 1, 0, ...innermost]))));
    nested.push({ ts: 1_767_225_601, data: ether(ipv4('1.1.1.1', '2.2.2.2', 4, vxlan)) });
    const nestedFile = join(dir, 'nested-evicted.pcap');
    writeFileSync(nestedFile, pcapBytes(nested));
    const deepest = rows(same(nestedFile, { maxFlows: 16 }), 'conn.log').find((l) => l.includes('\t5.5.5.5\t'));
    expect(deepest?.split('\t')[20]).toMatch(/^C\w{15},C\w{15}$/);
  });

  it.runIf('addon' in loaded)('takes over from the JavaScript decoders packet by packet: tunnels, fragments, bad checksums, mutated frames', async () => {
    const gen = join(dir, 'seed.pcap');
    await writeCapture(gen, { seed: 44, packets: 4000 });
    for (const seed of [1, 2]) {
      const file = join(dir, `mutated-${seed}.pcap`);
      writeFileSync(file, pcapBytes(mutated(framesOf(gen), craftedFrames(), 100_000, 900 + seed)));
      const r = same(file);
      const weird = rows(r, 'weird.log');
      // Packet weirds (the JavaScript decoders') and connection weirds (the native table's) interleaved in one log.
      expect(weird.some((l) => l.split('\t')[1] === '-')).toBe(true);
      expect(weird.some((l) => /^\S+\tC/.test(l))).toBe(true);
      // Tunnel contents name their parent.
      expect(rows(r, 'conn.log').some((l) => /\tC[0-9A-Za-z]{15}(,C[0-9A-Za-z]{15})*\t\d+\t/.test(l))).toBe(true);
    }
  });

  it.runIf('addon' in loaded)('with times that run backwards and pcapng times it leaves to JavaScript', () => {
    const frames: Frame[] = [];
    const seg = (sport: number, flags: number, seq: number) => ether(ipv4('10.0.0.1', '10.0.0.2', 6, withChecksum('10.0.0.1', '10.0.0.2', 6, tcpSegment(sport, 443, seq, 0, flags, new Uint8Array(0)))));
    for (let i = 0; i < 300; i++) {
      const t = 1_767_225_600 + (i % 50 === 49 ? i - 30 : i) * 0.5; // every 50th packet 15 s in the past
      frames.push({ ts: t, data: i % 7 === 0 ? seg(40000 + i, 2, 1000) : seg(40000 + (i % 9), 0x10, 1001 + i) });
      frames.push({ ts: t + 0.01, data: ether(ipv4('10.0.0.3', '10.0.0.4', 17, withChecksum('10.0.0.3', '10.0.0.4', 17, udpDatagram(5000 + (i % 5), 53, new Uint8Array(20))))) });
      // At the same instant, connections on other timer lists: equal deadlines and equal starts, whose order the two tables must agree on.
      if (i % 3 === 0) frames.push({ ts: t + 0.01, data: ether(ipv4('10.0.0.5', '10.0.0.6', 1, icmpMessage(8, 0, Uint8Array.of(0, i & 0xff, 0, 1)))) });
    }
    const backwards = join(dir, 'backwards.pcap');
    writeFileSync(backwards, pcapBytes(frames));
    const r = same(backwards);
    expect(r.logs['weird.log']).toContain('non_monotonic_timestamp');
    // Packets exactly half an interval apart: the edges of the interim rules.
    same(backwards, { interimSec: 1 });
    // Then one packet much later: every connection above ends by its timer, in one pass, ties and all (above, at the end of input).
    const late = join(dir, 'late.pcap');
    writeFileSync(late, pcapBytes([...frames, { ts: 1_767_225_600 + 1000, data: seg(1, 2, 1) }]));
    same(late);
    for (const tsresol of [9, 0x80 | 20]) {
      const file = join(dir, `ng-${tsresol}.pcapng`);
      writeFileSync(file, pcapngBytes(frames, { tsresol }));
      same(file);
    }
  });

  it.runIf('addon' in loaded)('with a quarter of a million connections (uids past their counter digits, the table grown many times)', () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 250_000; i++) {
      const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      frames.push({ ts: [1_767_225_600 + Math.floor(i / 5000), (i % 5000) * 200_000], data: ether(ipv4(src, '10.255.0.1', 17, withChecksum(src, '10.255.0.1', 17, udpDatagram(1024 + (i % 50_000), 53, new Uint8Array(4))))) });
    }
    const file = join(dir, 'many.pcap');
    writeFileSync(file, pcapBytes(frames));
    expect(rows(same(file, { maxFlows: 200_000 }), 'conn.log')).toHaveLength(250_000);
  });

  it.runIf('addon' in loaded)('gives the application analyzers (native and JavaScript) the same payload, gaps and records: all seven logs the same', async () => {
    const file = join(dir, 'apps.pcap');
    await writeCapture(file, { seed: 45, packets: 60_000 });
    for (const analyzers of ['native', 'js'] as const) {
      const r = same(file, { analyzers });
      for (const log of ['dns.log', 'ssl.log', 'x509.log', 'http.log', 'ssh.log']) expect(rows(r, log).length, log).toBeGreaterThan(5);
      // Out-of-order segments held and delivered later, interim records of the analyzers, records at the close.
      same(file, { analyzers, interimSec: 1, recordAt: 'close' });
    }
    // Garbled conversations: gaps, overlaps, analyzer weirds, handovers from the native analyzers.
    const gen = join(dir, 'apps-seed.pcap');
    await writeCapture(gen, { seed: 46, packets: 6000 });
    const mutatedFile = join(dir, 'apps-mutated.pcap');
    writeFileSync(mutatedFile, pcapBytes(mutated(framesOf(gen), craftedFrames(), 60_000, 4242)));
    for (const analyzers of ['native', 'js'] as const) same(mutatedFile, { analyzers });
  });

  it.runIf('addon' in loaded)('asks an analyzer that ended on its first delivery for its record all the same', () => {
    // A ClientHello and a fatal alert in one segment: the TLS analyzer is done at once, and still has its ssl.log row and service.
    const hello = Uint8Array.from([0x16, 3, 1, 0, 49, 1, 0, 0, 45, 3, 3, ...new Array<number>(32).fill(7), 0, 0, 4, 0x00, 0x2f, 0x00, 0x35, 1, 0, 0, 0]);
    const alert = Uint8Array.from([0x15, 3, 3, 0, 2, 2, 40]);
    const talk = new TcpTalk({ client: '10.1.0.1', server: '10.1.0.2', cport: 45000, sport: 443, t0: 1_767_225_600 }).c('S').s('SA').c('A').c('PA', Uint8Array.from([...hello, ...alert])).s('A').c('FA').s('FA').c('A');
    const frames: Frame[] = [...talk.frames];
    // UDP to port 53 whose first datagram is no DNS message.
    frames.push({ ts: 1_767_225_601, data: ether(ipv4('10.2.0.1', '10.2.0.2', 17, withChecksum('10.2.0.1', '10.2.0.2', 17, udpDatagram(33333, 53, new TextEncoder().encode('not a dns message at all'))))) });
    const file = join(dir, 'ended-at-once.pcap');
    writeFileSync(file, pcapBytes(frames));
    for (const analyzers of ['native', 'js'] as const) {
      const r = same(file, { analyzers });
      expect(rows(r, 'conn.log').find((l) => l.includes('\t443\t'))?.split('\t')[7]).toBe('ssl');
      expect(rows(r, 'ssl.log')).toHaveLength(1);
    }
  });

  it.runIf('addon' in loaded)('starts no analyzer for what arrives after a connection’s final record (records at the close)', () => {
    // A handshake and a clean close with no payload (no analyzer chosen yet), then data after the close completed.
    const talk = new TcpTalk({ client: '10.3.0.1', server: '10.3.0.2', cport: 46000, sport: 80, t0: 1_767_225_600 }).c('S').s('SA').c('A').c('FA').s('FA').c('A').c('PA', 40, { seq: 1001 }); // (at the stream's start: in order, so delivered)
    const file = join(dir, 'straggler.pcap');
    writeFileSync(file, pcapBytes(talk.frames));
    for (const flows of ['js', 'native'] as const) {
      let made = 0;
      const counting: AnalyzerFactory = (...a) => {
        made++;
        return createAppAnalyzer(...a);
      };
      const r = zeekRead(file, flows, { analyzers: counting, recordAt: 'close' });
      expect(rows(r, 'conn.log'), flows).toHaveLength(1);
      expect(made, flows).toBe(0);
    }
  });

  it.runIf('addon' in loaded)('keeps reading through a bug in a callback, and times an application weird without a connection by its own packet', async () => {
    const file = join(dir, 'callbacks.pcap');
    await writeCapture(file, { seed: 47, packets: 5000 });
    // A factory that reports a weird before any connection is its own (as detection does on a bug) and makes no analyzer.
    const weirdFactory: AnalyzerFactory = (_proto, _rp, _op, _dir, _b, _s, _e, events) => {
      events?.weird('test_detect_weird');
      return undefined;
    };
    const r = same(file, { analyzers: weirdFactory });
    expect(rows(r, 'weird.log').filter((l) => l.includes('test_detect_weird')).length).toBeGreaterThan(10);
    // An output whose application rows fail: counted as internal errors, every conn.log row still written.
    const conn: Uint8Array[] = [];
    const failing = { record() {}, connRows: (b: Uint8Array) => void conn.push(Uint8Array.from(b)), appRecord: () => { throw new Error('disk full'); } };
    const p = new Pipeline({ outputs: [failing], analyzers: zeekLogAnalyzers().factory, nativeFlows: true, flows: { uidSeed: 11 } });
    expect(p.native).toBeDefined();
    new NativeFileReader(file).readAll(p);
    p.finish();
    expect(p.stats.internalErrors).toBeGreaterThan(0);
    expect(p.weirds.snapshot().internal_error).toBe(p.stats.internalErrors);
    expect(Buffer.concat(conn).toString().trim().split('\n')).toHaveLength(p.table.stats.records + p.table.stats.interims);
  });

  it.runIf('addon' in loaded)('serves `sensor read` where it can: Zeek logs on one thread', async () => {
    const settings = (o: Partial<Parameters<typeof readSettings>[0]>) => readSettings({ format: 'zeek', out: dir, app: false, interim: '60', maxFlows: '1000000', reader: 'chot', checksums: true, ...o });
    expect((await createReadPipeline(settings({}))).native).toBeDefined();
    expect((await createReadPipeline(settings({ flows: 'js' }))).native).toBeUndefined();
    expect((await createReadPipeline(settings({ app: true }))).native).toBeDefined();
    expect((await createReadPipeline(settings({ app: true, analyzers: 'js' }))).native).toBeDefined();
    expect((await createReadPipeline(settings({ format: 'ndjson', out: join(dir, 'nd') }))).native).toBeUndefined();
    expect((await createReadPipeline(settings({}), () => ({ sink: () => {}, close: () => {} }))).native).toBeUndefined();
    expect(() => settings({ flows: 'c' })).toThrow(/--flows: expected native or js, got "c"/);
  });
});
