import { Command, CommanderError } from 'commander';
import { exitCodeOf } from '../common/errors.js';
import { version } from '../common/version.js';

type Register = (program: Command) => unknown;

/**
 * Each role's commands, loaded only when needed: a role's module brings its whole
 * implementation (the collector its Redis and Elasticsearch clients, the console its
 * server...), and loading all of them took 0.3 s before `chot sensor read` read a packet.
 */
const ROLES: { name: string; load: () => Promise<Register> }[] = [
  { name: 'stack', load: async () => (await import('../stack/cli.js')).registerStackCommands },
  { name: 'lab', load: async () => (await import('../lab/cli.js')).registerLabCommands },
  { name: 'sensor', load: async () => (await import('../sensor/cli.js')).registerSensorCommands },
  { name: 'collector', load: async () => (await import('../collector/cli.js')).registerCollectorCommands },
  { name: 'certs', load: async () => (await import('../certs/cli.js')).registerCertsCommands },
  { name: 'console', load: async () => (await import('../console/cli.js')).registerConsoleCommands },
  { name: 'rules', load: async () => (await import('../rules/cli.js')).registerRulesCommands },
  { name: 'appliance', load: async () => (await import('./pending-roles.js')).registerPendingRoles },
];

/**
 * The role a command line names (its first word that is not an option), if it names one
 * and asks for no program help before it (`chot --help sensor` is the program's help).
 */
function roleOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  const at = args.findIndex((a) => !a.startsWith('-'));
  if (at < 0 || args.slice(0, at).some((a) => a === '-h' || a === '--help')) return undefined;
  const first = args[at];
  return ROLES.some((r) => r.name === first) ? first : undefined;
}

/**
 * The program with every role's commands, or with only the named role's when argv
 * names one (the others' help and usage are not needed to run it).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('chot')
    .description('Chốt: network security monitoring and mutual-TLS enforcement for a national WAN')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true });

  const only = roleOf(argv);
  const registers = await Promise.all(ROLES.filter((r) => only === undefined || r.name === only).map((r) => r.load()));
  for (const register of registers) register(program);

  // Usage errors (unknown option, missing argument) exit 2 at every level.
  const applyExitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) applyExitOverride(sub);
  };
  applyExitOverride(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
