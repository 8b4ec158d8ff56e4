import { Command, InvalidArgumentError } from 'commander';
import { labDown, labUp } from './lifecycle.js';
import type { LabOptions } from './options.js';
import { defaultLabStateDir } from './state.js';
import { labStatus, type LabStatus } from './status.js';
import { DEFAULT_PREFIX, LAN_HOSTS, ROUTERS, validatePrefix } from './topology.js';

interface LabFlags {
  prefix: string;
  stateDir?: string;
  json?: boolean;
}

function prefixArg(value: string): string {
  try {
    return validatePrefix(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function withLabOptions(cmd: Command): Command {
  return cmd
    .option('--prefix <name>', 'names the lab\'s namespaces and interfaces, so labs coexist (1-7 of a-z0-9)', prefixArg, DEFAULT_PREFIX)
    .option('--state-dir <dir>', `where lab.json, the lab PKI and the service PID live (default ${defaultLabStateDir('<prefix>')})`);
}

const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

function toOptions(flags: LabFlags): LabOptions {
  return { prefix: flags.prefix, stateDir: flags.stateDir, onProgress: say };
}

/** Adds `chot lab up|down|status` and returns `lab`, so other lab parts can add their subcommands. */
export function registerLabCommands(program: Command): Command {
  const lab = program
    .command('lab')
    .description('the network lab: a WAN of network namespaces with a mutual-TLS population-data service and capture interfaces (needs root)');

  withLabOptions(lab.command('up'))
    .description('build the lab (idempotent: a complete lab is kept, a partial one rebuilt) and start its population-data service')
    .action(async (flags: LabFlags) => {
      const l = await labUp(toOptions(flags));
      const s = l.service;
      say(`service   https://${s.ipv4}:${s.port} and https://[${s.ipv6}]:${s.port}, client certificate required`);
      say(`CA        ${s.caCert}`);
      say(`client    ${s.clientCert} with ${s.clientKey}`);
      say(`capture   ${ROUTERS.map((r) => `${r} ${l.captureInterface(r)}`).join(', ')}`);
      say(`hosts     ${LAN_HOSTS.map((h) => `${h} ${l.address(h)}`).join(', ')}`);
      say(`run in a host with: ip netns exec ${l.namespace('client1')} <command>`);
    });

  withLabOptions(lab.command('down'))
    .description('remove the lab: its service, namespaces, root-namespace interfaces and state files, and nothing else')
    .action(async (flags: LabFlags) => {
      await labDown(toOptions(flags));
    });

  withLabOptions(lab.command('status'))
    .description('report the namespaces, capture interfaces and whether the service answers (exit 1 unless the lab is fully up)')
    .option('--json', 'print JSON')
    .action(async (flags: LabFlags) => {
      const status = await labStatus({ prefix: flags.prefix, stateDir: flags.stateDir });
      if (flags.json) say(JSON.stringify(status, null, 2));
      else printStatus(status);
      if (status.state !== 'up') process.exitCode = 1;
    });

  return lab;
}

function printStatus(s: LabStatus): void {
  say(`lab ${s.prefix}: ${s.state}  (state in ${s.stateDir})`);
  const present = s.namespaces.filter((n) => n.present).length;
  const missing = s.namespaces.filter((n) => !n.present).map((n) => n.namespace);
  say(`namespaces  ${present}/${s.namespaces.length} present${missing.length && present ? `; missing ${missing.join(', ')}` : ''}`);
  for (const c of s.captureInterfaces) say(`capture     ${c.router.padEnd(9)} ${c.name.padEnd(15)} ${c.present ? (c.up ? 'up' : 'down') : 'absent'}`);
  const svc = s.service;
  const state = svc.answers ? 'answers' : svc.running ? 'not answering' : 'not running';
  say(`service     https://${svc.address}:${svc.port}  ${state}${svc.pid ? `  PID ${svc.pid}` : ''}${svc.detail ? `  (${svc.detail})` : ''}`);
}
