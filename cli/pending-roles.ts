import type { Command } from 'commander';
import type { z } from 'zod';
import { loadConfigFile } from '../common/config.js';
import { RuntimeError } from '../common/errors.js';


interface PendingRole {
  name: string;
  description: string;
  issue: number;
  /** Long-running roles validate their config before anything else. */
  config?: z.ZodType;
}

// Roles whose capability has not landed yet. Each still has its command and --help, and
// those that take a config file validate it, so deployment configs can be written and
// checked now; running one says plainly which issue brings it.
const PENDING: PendingRole[] = [
  { name: 'appliance', description: 'fleet inventory and sensor appliance provisioning', issue: 0 },
];

export function registerPendingRoles(program: Command, skip: ReadonlySet<string> = new Set()): void {
  for (const role of PENDING) {
    if (skip.has(role.name)) continue;
    const cmd = program.command(role.name).description(`${role.description} (not built yet)`);
    const notYet = (): never => {
      throw new RuntimeError(`the ${role.name} role is not built yet${role.issue ? ` (issue #${role.issue})` : ''}`);
    };
    if (role.config) {
      const schema = role.config;
      cmd
        .command('run')
        .description(`run the ${role.name} (validates --config first)`)
        .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
        .action((flags: { config: string }) => {
          loadConfigFile(flags.config, schema);
          notYet();
        });
      cmd
        .command('check-config')
        .description('validate a config file and exit: 0 valid, 2 invalid (names the file, key and what was expected)')
        .argument('<file>', 'config file (YAML or JSON)')
        .action((file: string) => {
          loadConfigFile(file, schema);
          process.stdout.write(`${file}: valid ${role.name} config\n`);
        });
    } else {
      cmd.action(notYet);
    }
  }
}
