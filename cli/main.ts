import { Command, CommanderError } from 'commander';
import { exitCodeOf } from '../common/errors.js';
import { version } from '../common/version.js';
import { registerStackCommands } from '../stack/cli.js';
import { registerLabCommands } from '../lab/cli.js';
import { registerPendingRoles } from './pending-roles.js';
import { registerSensorCommands } from '../sensor/cli.js';
import { registerCollectorCommands } from '../collector/cli.js';
import { registerCertsCommands } from '../certs/cli.js';
import { registerConsoleCommands } from '../console/cli.js';
import { registerRulesCommands } from '../rules/cli.js';

export function buildProgram(): Command {
  const program = new Command('chot')
    .description('Chốt: network security monitoring and mutual-TLS enforcement for a national WAN')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true });

  registerStackCommands(program);
  registerLabCommands(program);
  registerSensorCommands(program);
  registerCollectorCommands(program);
  registerCertsCommands(program);
  registerConsoleCommands(program);
  registerRulesCommands(program);
  registerPendingRoles(program);

  // Usage errors (unknown option, missing argument) exit 2 at every level.
  const applyExitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) applyExitOverride(sub);
  };
  applyExitOverride(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? 0 : 2;
      return;
    }
    const code = exitCodeOf(err);
    const msg = err instanceof Error ? err.message : String(err);
    const label = err instanceof Error && err.name === 'ConfigError' ? 'config error' : 'error';
    process.stderr.write(`chot: ${label}: ${msg}\n`);
    if (code === 1 && process.env.CHOT_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}
