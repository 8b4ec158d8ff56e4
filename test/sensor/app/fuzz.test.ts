// 100,000 random mutations of the sample conversations, delivered in random
// pieces with the occasional gap, through content detection and straight
// into each analyzer, then through the log and ECS producers. Nothing may
// throw, and no analyzer may fall back on its catch-all (the guard's
// "<proto>_analyzer_error" weird): every malformed input must be handled by
// the parser itself. Seeded, so a failure reproduces.

import { beforeAll, describe, expect, it } from 'vitest';
import type { AppAnalyzer, AppMetadata } from '../../../sensor/app/analyzer.js';
import { DnsAnalyzer } from '../../../sensor/app/dns/analyzer.js';
import { HttpAnalyzer } from '../../../sensor/app/http/analyzer.js';
import { APP_WEIRDS, createAppAnalyzer } from '../../../sensor/app/index.js';
import { APP_LOGS, appEcsEvents, appLogRows } from '../../../sensor/app/logs.js';
import { SshAnalyzer } from '../../../sensor/app/ssh/analyzer.js';
import { TlsAnalyzer } from '../../../sensor/app/tls/analyzer.js';
import { formatZeekValue } from '../../../sensor/output/zeek-log.js';
import { mutate, rng, Weirds } from './helpers.js';
import { makePki, pemToDer } from './pki.js';
import { dnsQuery, dnsResponse, mutual12, pipelined, responses, sshConversation, tcpDns, tls13, type Flights } from './samples.js';

interface Sample {
  name: string;
  proto: 6 | 17;
  port: number;
  flights: Flights;
  make: (w: Weirds) => AppAnalyzer;
}

let samples: Sample[] = [];
beforeAll(() => {
  const pki = makePki();
  samples = [
    { name: 'dns/udp', proto: 17, port: 53, flights: [[0, dnsQuery], [1, dnsResponse]], make: (w) => new DnsAnalyzer('udp', w) },
    { name: 'dns/tcp', proto: 6, port: 53, flights: [[0, tcpDns(dnsQuery)], [1, tcpDns(dnsResponse)]], make: (w) => new DnsAnalyzer('tcp', w) },
    { name: 'tls1.2', proto: 6, port: 443, flights: mutual12(pemToDer(pki.serverCert), pemToDer(pki.clientCert)), make: (w) => new TlsAnalyzer(w) },
    { name: 'tls1.3', proto: 6, port: 443, flights: tls13(), make: (w) => new TlsAnalyzer(w) },
    { name: 'http', proto: 6, port: 80, flights: [[0, pipelined], [1, responses]], make: (w) => new HttpAnalyzer(w) },
    { name: 'ssh', proto: 6, port: 22, flights: sshConversation(), make: (w) => new SshAnalyzer(w) },
  ];
});

const listed = new Set<string>(APP_WEIRDS);
const conn = { uid: 'Cfuzz', origH: '10.0.0.1', origP: 1, respH: '10.0.0.2', respP: 2 };

/** Everything downstream of an analyzer must take whatever it produced. */
function consume(meta: AppMetadata | undefined): void {
  if (!meta) return;
  for (const { path, rows } of appLogRows(conn, meta)) {
    const fields = APP_LOGS.find((l) => l.path === path)!.fields;
    for (const row of rows) row.forEach((v, i) => formatZeekValue(fields[i]!.type, v));
  }
  JSON.stringify(appEcsEvents(meta), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/** The output side is the fuzzer's slowest part (JSON); one conversation in eight is enough to cover it. */
function sometimes(meta: AppMetadata | undefined, r: () => number): void {
  if (r() < 0.125) consume(meta);
}

function feed(a: AppAnalyzer, flights: Flights, r: () => number): void {
  let ts = 1n;
  for (const [dir, data] of flights) {
    let off = 0;
    while (off < data.length && !a.done) {
      const n = 1 + Math.floor(r() * (data.length - off));
      if (r() < 0.02) a.gap(dir, n);
      else a.deliver(dir, data, off, off + n, ts++);
      off += n;
    }
    if (r() < 0.1) sometimes(a.metadata(false), r);
  }
  sometimes(a.metadata(true), r);
}

describe('fuzz', () => {
  it('100,000 mutated conversations: no throw, no analyzer falls back on its catch-all', () => {
    const r = rng(0xc407);
    const failures = new Map<string, number>();
    const unlisted = new Set<string>();
    const timing: Record<string, number> = {};
    const iterations = 100_000;
    for (let i = 0; i < iterations; i++) {
      const s = samples[i % samples.length]!;
      const t0 = performance.now();
      const flights: Flights = s.flights.map(([d, b]): [0 | 1, Uint8Array] => [d, r() < 0.5 ? mutate(b, r) : b]);
      const w = new Weirds();
      const [dir0, first] = flights[0]!;
      // Through detection, as the core does...
      const picked = createAppAnalyzer(s.proto, s.port, 40000, dir0, first, 0, first.length, w);
      if (picked) feed(picked, flights, r);
      // ...and straight into the analyzer when detection spared it the worst (and now and then anyway).
      if (!picked || r() < 0.3) feed(s.make(w), flights, r);
      timing[s.name] = (timing[s.name] ?? 0) + performance.now() - t0;
      for (const name of w.names) {
        if (!listed.has(name)) unlisted.add(name);
        const key = `${s.name}: ${name}`;
        if (name.endsWith('_analyzer_error') || name === 'app_detect_error') failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(failures)).toEqual({});
    expect([...unlisted]).toEqual([]); // every weird reported is one the core can register up front
    for (const [name, ms] of Object.entries(timing)) console.log(`fuzz ${name}: ${(ms / (iterations / samples.length) * 1000).toFixed(0)} µs per conversation`);
  }, 300_000);
});
