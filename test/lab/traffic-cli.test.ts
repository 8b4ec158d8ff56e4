import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../common/errors.js';
import { registerTrafficCommand } from '../../lab/traffic/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-traffic-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lab(): Command {
  const cmd = new Command('lab').exitOverride();
  registerTrafficCommand(cmd);
  for (const sub of cmd.commands) sub.exitOverride();
  return cmd;
}

describe('chot lab traffic', () => {
  it('writes the capture and its truth and prints a one-line summary and the truth path', async () => {
    const out = join(dir, 'cli.pcap');
    let printed = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    try {
      await lab().parseAsync(['traffic', '--out', out, '--seed', '5', '--packets', '2000', '--no-scenarios', '--nanosecond'], { from: 'user' });
    } finally {
      write.mockRestore();
    }
    expect(printed).toMatch(/^wrote .*cli\.pcap: \d+ packets, \d+ flows, \d+ bytes in [\d.]+ s\ntruth: .*cli\.pcap\.truth\.json\n$/);
    const truth = JSON.parse(readFileSync(`${out}.truth.json`, 'utf8'));
    expect([truth.seed, truth.options.scenarios, truth.options.nanosecond, truth.scenarios.length]).toEqual([5, false, true, 0]);
    expect(existsSync(out)).toBe(true);
  });

  it('refuses a bad number with a usage error', async () => {
    for (const args of [
      ['--seed', 'abc'],
      ['--seed', '-3'],
      ['--packets', '0'],
      ['--packets', '1e6'],
    ]) {
      const run = lab().parseAsync(['traffic', '--out', join(dir, 'bad.pcap'), ...args], { from: 'user' });
      await expect(run).rejects.toBeInstanceOf(UsageError);
    }
    expect(existsSync(join(dir, 'bad.pcap'))).toBe(false);
  });

  it('takes exactly one of --out and --live, and a pace it understands', async () => {
    for (const args of [[], ['--out', join(dir, 'both.pcap'), '--live', 'lo'], ['--live', 'lo', '--pace', 'fast'], ['--live', 'lo', '--pace', '0']]) {
      const run = lab().parseAsync(['traffic', ...args], { from: 'user' });
      await expect(run, args.join(' ')).rejects.toBeInstanceOf(UsageError);
    }
    expect(existsSync(join(dir, 'both.pcap'))).toBe(false);
  });
});
