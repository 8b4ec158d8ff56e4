import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';
import type { Truth } from '../../lab/traffic/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-traffic-pcap-'));
const usPath = join(dir, 'us.pcap');
const nsPath = join(dir, 'ns.pcap');
let us: Truth;
let ns: Truth;

beforeAll(async () => {
  us = await writeCapture(usPath, { seed: 99, packets: 4000, exfilBytes: 3_000_000 });
  ns = await writeCapture(nsPath, { seed: 99, packets: 4000, exfilBytes: 3_000_000, nanosecond: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the pcap file', () => {
  it('has the libpcap global header: magic, version 2.4, snaplen, Ethernet link type', () => {
    const a = readFileSync(usPath).subarray(0, 24);
    expect(a.subarray(0, 4).toString('hex')).toBe('d4c3b2a1'); // a1b2c3d4, little-endian: microseconds
    expect([a.readUInt16LE(4), a.readUInt16LE(6), a.readInt32LE(8), a.readUInt32LE(12)]).toEqual([2, 4, 0, 0]);
    expect(a.readUInt32LE(16)).toBe(us.capture.snaplen);
    expect(a.readUInt32LE(20)).toBe(1);
    const b = readFileSync(nsPath).subarray(0, 4);
    expect(b.toString('hex')).toBe('4d3cb2a1'); // a1b23c4d: nanoseconds
    expect([us.capture.magic, ns.capture.magic]).toEqual(['a1b2c3d4', 'a1b23c4d']);
    // Record headers: captured length equals original length (nothing truncated), microseconds below 10^6.
    const file = readFileSync(usPath);
    expect(file.readUInt32LE(24 + 8)).toBe(file.readUInt32LE(24 + 12));
    expect(file.readUInt32LE(24 + 4)).toBeLessThan(1_000_000);
    expect(file.readUInt32LE(24)).toBe(Date.UTC(2026, 0, 1) / 1000);
  });

  it('is read to the end by libpcap (tcpdump), with the same packet count', async () => {
    for (const [path, truth] of [
      [usPath, us],
      [nsPath, ns],
    ] as const) {
      const r = await run('tcpdump', ['-r', path, '-nn', '-q']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/truncated|bogus|invalid|error/i);
      expect(r.stdout.split('\n').filter(Boolean).length).toBe(truth.capture.packets);
    }
  });

  it('shows libpcap the TLS, DNS, VLAN, MPLS and ICMPv6 traffic and finds no bad checksum', async () => {
    const verbose = await run('tcpdump', ['-r', usPath, '-nn', '-vv', '-e']);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).not.toMatch(/bad cksum|incorrect/);
    expect(verbose.stdout).toMatch(/vlan \d+/);
    expect(verbose.stdout).toMatch(/ethertype 802\.1Q-QinQ|0x88a8/);
    expect(verbose.stdout).toMatch(/MPLS \(label \d+/);
    expect(verbose.stdout).toMatch(/ICMP6, echo request/);
    expect(verbose.stdout).toMatch(/TXT\?/);
    const tls = await run('tcpdump', ['-r', usPath, '-nn', '-q', 'tcp port 443 or tcp port 8443']);
    expect(tls.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(100);
  });
});
