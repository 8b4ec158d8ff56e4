// The byte-level line writer under the Zeek logs: the same text as the string
// formatters it replaced (String(n), formatTime, escapeZeek), and blocks of
// whole lines only, whatever the lines' lengths against the block size.
import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../sensor/output/line-buffer.js';
import { escapeZeek, formatTime } from '../../sensor/output/zeek-log.js';

function written(fill: (o: LineBuffer) => void, size?: number): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  const o = new LineBuffer((b) => blocks.push(Buffer.from(b).toString('utf8')), size);
  fill(o);
  o.flush();
  return { text: blocks.join(''), blocks };
}

describe('LineBuffer', () => {
  it('writes numbers, times and escaped strings as the string formatters do', () => {
    const nums = [0, 7, 9, 10, 99, 100, 12345, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -5, -0, 1.5, NaN, Infinity, 1e21, 123456789012];
    const strs = ['', '-', '(empty)', '--', 'a\tb\x01\\', 'x,y', 'plain text é', 'tab\t and ü\x7f', '\u{1f600}', 'a\\b,é,c'];
    const times: Array<[number, number]> = [[0, 0], [1767225600, 999_999_999], [5, 1000], [1, 999], [1700000000, 250_000_000]];
    const { text } = written((o) => {
      for (const n of nums) {
        o.num(n);
        o.endLine();
      }
      for (const [s, ns] of times) {
        o.time(s, ns);
        o.endLine();
      }
      for (const s of strs) {
        o.zeek(s);
        o.tab();
        o.zeek(s, true);
        o.endLine();
      }
    });
    const want = [...nums.map((n) => String(n)), ...times.map(([s, ns]) => formatTime(s, ns)), ...strs.map((s) => `${escapeZeek(s)}\t${escapeZeek(s, true)}`)];
    expect(text).toBe(want.join('\n') + '\n');
  });

  it('hands over whole lines only, growing for a line longer than a block', () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push('x'.repeat((i * 37) % 90) + '\\' + ','.repeat(i % 5) + 'é'.repeat(i % 3) + String(i));
    const { text, blocks } = written((o) => {
      for (const l of lines) {
        o.zeek(l, true);
        o.endLine();
      }
    }, 64);
    expect(text).toBe(lines.map((l) => escapeZeek(l, true)).join('\n') + '\n');
    expect(blocks.length).toBeGreaterThan(10);
    for (const b of blocks) expect(b.endsWith('\n')).toBe(true);
  });

  it('takes whole lines written elsewhere between its own, copied or handed over as they are, and refuses them inside a line', () => {
    const big = new TextEncoder().encode('r'.repeat(40) + '\n');
    const { text, blocks } = written((o) => {
      o.textLines('#header\n');
      o.lines(new TextEncoder().encode('a\tb\n'));
      o.text('own');
      o.endLine();
      o.lines(big); // half the block or more: to the sink as it is, after the lines before it
      o.lines(new Uint8Array(0));
      o.text('half');
      expect(() => o.lines(new TextEncoder().encode('x\n'))).toThrow(/a line is being written/);
      o.endLine();
    }, 64);
    expect(text).toBe('#header\na\tb\nown\n' + 'r'.repeat(40) + '\nhalf\n');
    expect(blocks).toContain('r'.repeat(40) + '\n');
    for (const b of blocks) expect(b.endsWith('\n')).toBe(true);
  });
});
