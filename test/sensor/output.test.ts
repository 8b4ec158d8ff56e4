import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSensorCommands } from '../../sensor/cli.js';
import { communityId } from '../../sensor/flow/community-id.js';
import type { Conn } from '../../sensor/flow/conn.js';
import { CONN_FIELDS } from '../../sensor/output/conn-log.js';
import { toEcs } from '../../sensor/output/ndjson.js';
import { escapeZeek, ZeekLogWriter } from '../../sensor/output/zeek-log.js';
import { bytes, ether, icmpMessage, ipv4, ipv6, pcapBytes, TcpTalk, udpDatagram } from './support/frames.js';
import { only, runFrames } from './support/run.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-out-'));

describe('community_id', () => {
  // The reference values published with the Community ID specification.
  it('TCP, UDP, ICMP and IPv6 match the published test vectors, in either direction', () => {
    const tcp = new TcpTalk({ client: '128.232.110.120', server: '66.35.250.204', cport: 34855, sport: 80 });
    expect(only(runFrames(tcp.c('S').frames)).communityId).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    const back = new TcpTalk({ client: '128.232.110.120', server: '66.35.250.204', cport: 34855, sport: 80 });
    back.client.seq++;
    expect(only(runFrames(back.s('SA').frames)).communityId).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    const udp = ether(ipv4('192.168.1.52', '8.8.8.8', 17, udpDatagram(54585, 53, bytes(20))));
    expect(only(runFrames([{ ts: 1, data: udp }])).communityId).toBe('1:d/FP5EW3wiY1vCndhwleRRKHowQ=');
    const icmp = ether(ipv4('192.168.0.89', '192.168.0.1', 1, icmpMessage(8, 0, bytes(20))));
    expect(only(runFrames([{ ts: 1, data: icmp }])).communityId).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    const v6 = new TcpTalk({ client: '2001:470:e5bf:dead:4957:2174:e82c:4887', server: '2607:f8b0:400c:c03::1a', cport: 63943, sport: 25 });
    expect(only(runFrames(v6.c('S').frames)).communityId).toBe('1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=');
  });

  it('equals the specification computed with node:crypto, for 20,000 random connections of every kind and seed', () => {
    let x = 0x2545f491;
    const u32 = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < 20_000; i++) {
      const v4 = u32() % 2 === 0;
      const proto = [6, 17, 1, 58, 132, 47, 50][u32() % 7]!;
      // Equal addresses (and ports) now and then, where the order falls to the next field.
      const o = [u32(), u32(), u32(), u32()];
      const r = u32() % 8 === 0 ? [...o] : [u32(), u32(), u32(), u32()];
      const c = {
        // (words unsigned, as the decoders give them)
        ipVersion: v4 ? 4 : 6, oa0: o[0]!, oa1: o[1]!, oa2: o[2]!, oa3: o[3]!, ra0: r[0]!, ra1: r[1]!, ra2: r[2]!, ra3: r[3]!,
        op: u32() % 65536, rp: u32() % 16 === 0 ? 0 : u32() % 65536, proto, oneWay: (proto === 1 || proto === 58) && u32() % 3 === 0,
      };
      if (v4) c.oa0 = c.oa1 = c.oa2 = c.ra0 = c.ra1 = c.ra2 = 0;
      const seed = u32() % 4 === 0 ? u32() % 65536 : 0;
      expect(communityId(c as unknown as Conn, seed), JSON.stringify(c)).toBe(reference(c, seed));
    }
  });
});

/** The specification spelled out: addresses as unsigned words, the smaller endpoint first (unless one-way). */
function reference(c: { ipVersion: number; oa0: number; oa1: number; oa2: number; oa3: number; ra0: number; ra1: number; ra2: number; ra3: number; op: number; rp: number; proto: number; oneWay: boolean }, seed: number): string {
  const words = (a: number[]): number[] => (c.ipVersion === 4 ? [a[3]!] : a);
  let src = { a: words([c.oa0, c.oa1, c.oa2, c.oa3]), p: c.op };
  let dst = { a: words([c.ra0, c.ra1, c.ra2, c.ra3]), p: c.rp };
  const ports = [6, 17, 1, 58, 132].includes(c.proto);
  const cmp = (x: number[], y: number[]): number => x.map((v, i) => v - y[i]!).find((d) => d !== 0) ?? 0;
  if (!c.oneWay && (cmp(src.a, dst.a) > 0 || (cmp(src.a, dst.a) === 0 && ports && src.p > dst.p))) [src, dst] = [dst, src];
  const buf: number[] = [seed >> 8, seed & 0xff];
  for (const w of [...src.a, ...dst.a]) buf.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
  buf.push(c.proto, 0);
  if (ports) buf.push(src.p >> 8, src.p & 0xff, dst.p >> 8, dst.p & 0xff);
  return '1:' + createHash('sha1').update(Uint8Array.from(buf)).digest('base64');
}

describe("Zeek's log format", () => {
  it('header lines, escaping, unset and empty values, #close', () => {
    const file = join(dir, 'x.log');
    const w = new ZeekLogWriter(file, 'x', [
      { name: 's', type: 'string' },
      { name: 'n', type: 'count' },
      { name: 'set', type: 'set[string]' },
      { name: 'b', type: 'bool' },
      { name: 't', type: 'time' },
    ]);
    w.row(['a\tb\x01\\', 3, ['x,y', 'z'], true, 1700000000.25]);
    w.row(['-', undefined, [], false, undefined]);
    w.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(0, 5)).toEqual(['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tx']);
    expect(lines[5]).toMatch(/^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    expect(lines[6]).toBe('#fields\ts\tn\tset\tb\tt');
    expect(lines[7]).toBe('#types\tstring\tcount\tset[string]\tbool\ttime');
    expect(lines[8]).toBe('a\\x09b\\x01\\x5c\t3\tx\\x2cy,z\tT\t1700000000.250000');
    expect(lines[9]).toBe('\\x2d\t-\t(empty)\tF\t-');
    expect(lines[10]).toMatch(/^#close\t/);
    expect(escapeZeek('plain text é')).toBe('plain text é');
  });

  it('conn.log rows have one value per declared field; a zero-length connection has unset duration and bytes', () => {
    const file = join(dir, 'cap.pcap');
    const t = new TcpTalk().c('S').s('SA').c('A').c('PA', 10).s('PA', 20).c('FA').s('FA').c('A');
    const single = ether(ipv4('10.0.0.9', '10.0.0.10', 17, udpDatagram(1000, 2000, bytes(5))));
    writeFileSync(file, pcapBytes([...t.frames, { ts: t.t + 1, data: single }]));
    return runCli(['sensor', 'read', file, '--out', join(dir, 'zeek'), '-q']).then(() => {
      const text = readFileSync(join(dir, 'zeek', 'conn.log'), 'utf8');
      const rows = text.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(rows.length).toBe(2);
      const fields = text.split('\n').find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
      expect(fields).toEqual(CONN_FIELDS.map((f) => f.name));
      const rec = Object.fromEntries(rows[0]!.split('\t').map((v, i) => [fields[i], v]));
      expect(rec).toMatchObject({ 'id.orig_h': '10.0.0.1', 'id.resp_p': '80', proto: 'tcp', orig_bytes: '10', resp_bytes: '20', conn_state: 'SF', history: 'ShADdFf', orig_pkts: '5', resp_pkts: '3', interim: 'F' });
      const udp = Object.fromEntries(rows[1]!.split('\t').map((v, i) => [fields[i], v]));
      expect([udp.duration, udp.orig_bytes, udp.conn_state]).toEqual(['-', '-', 'S0']);
      for (const r of rows) expect(r.split('\t').length).toBe(fields.length);
      expect(readFileSync(join(dir, 'zeek', 'weird.log'), 'utf8')).toContain('#path\tweird');
    });
  });
});

describe('`sensor read` like `zeek -r`: the application logs beside conn.log', () => {
  it('writes dns.log, http.log, ssl.log, x509.log and ssh.log whose uids are in conn.log', async () => {
    const { writeCapture } = await import('../../lab/traffic/generate.js');
    const file = join(dir, 'apps.pcap');
    await writeCapture(file, { seed: 3, packets: 3000, scenarios: false });
    const out = join(dir, 'apps');
    await runCli(['sensor', 'read', file, '--out', out, '-q']);
    const rowsOf = (log: string) => readFileSync(join(out, `${log}.log`), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const uids = new Set(rowsOf('conn').map((l) => l.split('\t')[1]));
    for (const log of ['dns', 'http', 'ssl', 'x509']) {
      const text = readFileSync(join(out, `${log}.log`), 'utf8');
      expect(text).toContain(`#path\t${log}`);
      const rows = rowsOf(log);
      expect(rows.length).toBeGreaterThan(0);
      if (log !== 'x509') for (const r of rows) expect(uids.has(r.split('\t')[1])).toBe(true);
    }
  });
});

describe('NDJSON with ECS names', () => {
  it('maps a record to ECS fields', () => {
    const r = only(runFrames(new TcpTalk({ l2: { vlans: [42] } }).c('S').s('SA').c('A').c('PA', 10).frames));
    const doc = toEcs(r) as Record<string, Record<string, unknown>>;
    expect(doc.source).toMatchObject({ ip: '10.0.0.1', port: 40000, packets: 3 });
    expect(doc.destination).toMatchObject({ ip: '10.0.0.2', port: 80, packets: 1 });
    expect(doc.network).toMatchObject({ transport: 'tcp', community_id: r.communityId, vlan: { id: '42' }, iana_number: '6' });
    expect(doc.event).toMatchObject({ duration: r.durationNs, action: 'connection-end', id: r.uid });
    expect((doc.zeek as Record<string, Record<string, unknown>>).connection).toMatchObject({ state: 'S1', history: 'ShAD' });
    expect(doc['@timestamp']).toBe('2023-11-14T22:13:20.010000Z');
  });

  it('`sensor read --format ndjson` writes one JSON object per connection', async () => {
    const file = join(dir, 'nd.pcap');
    writeFileSync(file, pcapBytes([{ ts: 1_700_000_000, data: ether(ipv6('2001:db8::1', '2001:db8::2', 17, udpDatagram(40000, 53, bytes(30)))) }]));
    await runCli(['sensor', 'read', file, '--format', 'ndjson', '--out', join(dir, 'nd'), '-q']);
    const lines = readFileSync(join(dir, 'nd', 'conn.ndjson'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(1);
    const doc = JSON.parse(lines[0]!) as { source: { ip: string }; network: { type: string; transport: string } };
    expect([doc.source.ip, doc.network.type, doc.network.transport]).toEqual(['2001:db8::1', 'ipv6', 'udp']);
  });

  it('rejects a bad --format with a usage error', async () => {
    await expect(runCli(['sensor', 'read', join(dir, 'nd.pcap'), '--format', 'csv'])).rejects.toThrow(/--format/);
  });
});

async function runCli(args: string[]): Promise<void> {
  const program = new Command('chot').exitOverride();
  registerSensorCommands(program);
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(['node', 'chot', ...args]);
}
