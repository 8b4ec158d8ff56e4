import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeError } from '../../common/errors.js';
import { registerLabCommands } from '../../lab/cli.js';
import { labUp } from '../../lab/net/index.js';

function program(): { root: Command; lab: Command; out: string[] } {
  const out: string[] = [];
  const root = new Command('chot');
  const lab = registerLabCommands(root);
  for (const cmd of [root, lab, ...lab.commands]) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
  }
  return { root, lab, out };
}

describe('chot lab (command line)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is one command with the network lab and the traffic generator under it', () => {
    const { lab } = program();
    expect(lab.name()).toBe('lab');
    expect(lab.commands.map((c) => c.name())).toEqual(['up', 'down', 'status', 'traffic']);
  });

  it('has --help on every subcommand, naming its options', async () => {
    for (const sub of ['up', 'down', 'status']) {
      const { root, out } = program();
      await expect(root.parseAsync(['node', 'chot', 'lab', sub, '--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
      const help = out.join('');
      expect(help, sub).toContain(`Usage: chot lab ${sub}`);
      expect(help, sub).toContain('--prefix <name>');
      expect(help, sub).toContain('--state-dir <dir>');
      if (sub === 'status') expect(help).toContain('--json');
    }
  });

  it('refuses a bad prefix as a usage error, before touching anything', async () => {
    const { root, out } = program();
    const err = await root.parseAsync(['node', 'chot', 'lab', 'up', '--prefix', 'Not-Valid']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).code).toBe('commander.invalidArgument');
    expect(out.join('')).toMatch(/1-7 lowercase letters or digits/);
  });

  it('says in one line that it needs root', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const err = await labUp({ prefix: 'chotq', stateDir: '/nonexistent/never-created' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/^chot lab needs root .*sudo$/);
  });
});
