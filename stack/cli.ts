import { Command, InvalidArgumentError } from 'commander';
import { stackDown, stackStatus, stackUp, type StackOptions } from './index.js';
import { DEFAULT_ES_VERSION, defaultStateDir } from './options.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port, 1-65535');
  return n;
}

function heap(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 256 || n > 31_744) throw new InvalidArgumentError('expected megabytes, 256-31744');
  return n;
}

interface StackFlags {
  stateDir?: string;
  esPort?: number;
  redisPort?: number;
  esVersion?: string;
  esHeap?: number;
  json?: boolean;
}

function withStackOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', `where the stack keeps data, logs and credentials (default ${defaultStateDir()})`)
    .option('--es-port <port>', 'Elasticsearch HTTP port on 127.0.0.1 (transport uses port+100)', port, 19200)
    .option('--redis-port <port>', 'Redis port on 127.0.0.1', port, 16379);
}

function toOptions(flags: StackFlags): Partial<StackOptions> {
  return { stateDir: flags.stateDir, esPort: flags.esPort, redisPort: flags.redisPort, esVersion: flags.esVersion, esHeapMb: flags.esHeap, verbose: true };
}

const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

export function registerStackCommands(program: Command): Command {
  const stack = program.command('stack').description('the local services the roles need: Elasticsearch and Redis');

  withStackOptions(stack.command('up'))
    .description('start Elasticsearch and Redis on this machine (idempotent), wait until both answer, print their URLs')
    .option('--es-version <version>', 'Elasticsearch version from Maven Central', DEFAULT_ES_VERSION)
    .option('--es-heap <mb>', 'Elasticsearch heap in MB', heap, 512)
    .action(async (flags: StackFlags) => {
      const info = await stackUp(toOptions(flags), say);
      say(`Elasticsearch ${info.elasticsearch.url}  (user ${info.elasticsearch.username}; superuser password in ${info.stateDir}/credentials.json)`);
      say(`Redis         redis://127.0.0.1:${new URL(info.redis.url).port}`);
      say(`roles' config ${info.configFile}`);
    });

  withStackOptions(stack.command('down'))
    .description('stop the Elasticsearch and Redis processes that `up` started, and nothing else')
    .action(async (flags: StackFlags) => {
      await stackDown(toOptions(flags), say);
    });

  withStackOptions(stack.command('status'))
    .description('report whether each service runs and answers (exit 1 if one does not)')
    .option('--json', 'print JSON')
    .action(async (flags: StackFlags) => {
      const s = await stackStatus(toOptions(flags));
      if (flags.json) say(JSON.stringify(s, null, 2));
      else {
        const line = (name: string, x: { url: string; running: boolean; healthy: boolean; pid?: number; version?: string }): string =>
          `${name.padEnd(14)} ${x.healthy ? 'up' : x.running ? 'not answering' : 'down'}  ${x.url}${x.pid ? `  PID ${x.pid}` : ''}${x.version ? `  ${x.version}` : ''}`;
        say(line('elasticsearch', s.elasticsearch));
        say(line('redis', s.redis) + (s.redis.healthy ? `  AOF ${s.redis.aof ? 'on' : 'off'}` : ''));
      }
      if (!s.elasticsearch.healthy || !s.redis.healthy) process.exitCode = 1;
    });
  return stack;
}
