import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSensorCommands } from '../../sensor/cli.js';
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
});

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
