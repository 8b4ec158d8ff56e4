import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalIp, formatV4, parseIp } from '../../rules/lists/ip.js';
import { IpSet } from '../../rules/lists/ip-set.js';
import { parseList } from '../../rules/lists/list.js';
import { ListRegistry } from '../../rules/lists/registry.js';
import { ruleDir } from './helpers.js';
import { xorshift32 } from '../support/rng.js';


describe('named lists', () => {
  it('parses addresses without allocating surprises: IPv4, IPv6, mapped, zones, junk', () => {
    const w = new Uint32Array(4);
    expect(parseIp('198.18.10.66', w)).toBe(4);
    expect(w[0]).toBe(((198 << 24) >>> 0) + (18 << 16) + (10 << 8) + 66);
    expect(parseIp('fe80::1%eth0', w)).toBe(6);
    expect(parseIp('::ffff:10.1.2.3', w)).toBe(4);
    expect(formatV4(w[0]!)).toBe('10.1.2.3');
    for (const bad of ['', '1.2.3', '1.2.3.256', '1..2.3', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', ':::', '1::2::3', '12345::']) expect(parseIp(bad, w), bad).toBe(0);
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('::')).toBe('::');
  });

  it('loads a 500,000-entry IP list and answers lookups exactly', () => {
    const next = xorshift32(42);
    const lines: string[] = ['# a feed', ''];
    const members: number[] = [];
    for (let i = 0; i < 500_000; i++) {
      const a = next();
      if (i % 10 === 0) lines.push(`${formatV4(a & 0xffffff00)}/24`);
      else {
        lines.push(formatV4(a));
        members.push(a >>> 0);
      }
    }
    lines.push('2001:db8::/32', 'not-an-address', '10.0.0.0/40');
    // (how fast it loads and answers is bench/rules.bench.mjs's to measure, with a list this size: not a unit test's)
    const list = parseList('feed', 'ip', 'feed.ip', lines.join('\n'));
    expect(list.entries).toBe(500_001);
    expect(list.skippedCount).toBe(2);
    expect(list.skipped.map((s) => s.line)).toEqual([500_004, 500_005]);
    const set = list.data as IpSet;
    for (const m of members.slice(0, 1000)) expect(set.hasV4(m)).toBe(true);
    expect(set.has('2001:db8:1::5')).toBe(true);
    expect(set.has('2001:db9::5')).toBe(false);
    // Exactness against a brute-force model on random probes.
    const singles = new Set(members);
    const blocks = new Set(lines.filter((l) => l.endsWith('/24')).map((l) => l.slice(0, -3)));
    const probe = xorshift32(7);
    let checked = 0;
    for (let i = 0; i < 200_000; i++) {
      const a = probe() >>> 0;
      const want = singles.has(a) || blocks.has(formatV4(a & 0xffffff00));
      if (set.hasV4(a) !== want) throw new Error(`mismatch at ${formatV4(a)}`);
      checked++;
    }
    expect(checked).toBe(200_000);
    // Every member found; of the neighbours (the last bit flipped), those the model holds.
    let hits = 0;
    let want = 0;
    for (let i = 0; i < 100_000; i++) {
      const a = (members[i % members.length]! ^ (i & 1)) >>> 0;
      if (set.hasV4(a)) hits++;
      if (singles.has(a) || blocks.has(formatV4(a & 0xffffff00))) want++;
    }
    expect(hits).toBe(want);
    expect(hits).toBeGreaterThanOrEqual(50_000);
  });

  it('merges overlapping and adjacent ranges', () => {
    const s = IpSet.fromTexts(['10.0.0.0/25', '10.0.0.128/25', '10.0.0.5', '10.0.1.0/24', '0.0.0.0/0']);
    expect(s.ranges).toBe(1);
    const t = IpSet.fromTexts(['10.0.0.0/24', '10.0.2.0/24']);
    expect(t.has('10.0.1.1')).toBe(false);
    expect(t.has('10.0.2.255')).toBe(true);
    const v6 = IpSet.fromTexts(['::/0']);
    expect(v6.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
  });

  it('domain lists match the name and everything under it, never lookalikes', () => {
    const l = parseList('d', 'domain', 'd.domain', 'evil.example\n*.Tracker.Example\n.ads.example\nbad name\n');
    expect(l.skippedCount).toBe(1);
    for (const yes of ['evil.example', 'a.b.EVIL.example', 'evil.example.', 'x.tracker.example', 'tracker.example', 'ads.example']) expect(l.data.has(yes), yes).toBe(true);
    for (const no of ['notevil.example', 'example', 'evil.example.com', 'tracker.example.org']) expect(l.data.has(no), no).toBe(false);
  });

  it('reloads a changed list file and swaps it whole into the holder rules read', () => {
    const d = ruleDir({ 'lists/bad.ip': '203.0.113.7\n' });
    try {
      const reg = new ListRegistry(join(d.dir, 'lists'));
      reg.load();
      const holder = reg.get('bad')!;
      const before = holder.current;
      expect(holder.current.data.has('203.0.113.7')).toBe(true);
      writeFileSync(join(d.dir, 'lists/bad.ip'), '198.51.100.0/24\n');
      // Force a new modification time even on coarse-grained file systems.
      const later = new Date(Date.now() + 5000);
      utimesSync(join(d.dir, 'lists/bad.ip'), later, later);
      reg.load();
      expect(reg.get('bad')).toBe(holder);
      expect(holder.current).not.toBe(before);
      expect(holder.current.data.has('203.0.113.7')).toBe(false);
      expect(holder.current.data.has('198.51.100.9')).toBe(true);
    } finally {
      d.cleanup();
    }
  });
});
