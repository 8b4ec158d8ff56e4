import { spawn } from 'node:child_process';
import { RuntimeError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';

const log = createLogger('lab');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command outlived its time limit and was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 15_000;
// A runaway command must not exhaust the caller's memory; anything past this is dropped.
const MAX_OUTPUT_CHARS = 8 * 1024 * 1024;

/** Runs a command to completion and collects its output; never throws on a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new RuntimeError('internal: empty command');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  log.debug({ argv }, 'run');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new RuntimeError(`cannot run ${cmd}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A command that does not read its stdin must not fail the run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command that must succeed; the error names the command and quotes what it said. */
export async function mustRun(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new RuntimeError(`\`${argv.join(' ')}\` ${describeFailure(r)}`);
  return r.stdout;
}

export function describeFailure(r: RunResult): string {
  if (r.timedOut) return 'timed out';
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
  const how = r.signal ? `was killed by ${r.signal}` : `failed (exit ${r.code})`;
  return said ? `${how}: ${said}` : how;
}

/** `ip` with the namespace switch done by ip itself (no extra process). */
export function ipIn(namespace: string, ...args: string[]): Promise<string> {
  return mustRun(['ip', '-n', namespace, ...args]);
}

export function ip(...args: string[]): Promise<string> {
  return mustRun(['ip', ...args]);
}

/** The network namespaces that exist now, by name. */
export async function existingNamespaces(): Promise<Set<string>> {
  const out = await ip('-j', 'netns', 'list');
  if (!out.trim()) return new Set();
  return new Set((JSON.parse(out) as { name: string }[]).map((n) => n.name));
}

export interface RootLink {
  name: string;
  operstate: string;
  up: boolean;
}

/** The root namespace's interfaces, by name. */
export async function rootLinks(): Promise<Map<string, RootLink>> {
  const out = await ip('-j', 'link', 'show');
  const links = JSON.parse(out) as { ifname: string; operstate: string; flags: string[] }[];
  return new Map(links.map((l) => [l.ifname, { name: l.ifname, operstate: l.operstate, up: l.flags.includes('UP') }]));
}

/** PIDs of the processes living in a namespace (they keep it alive after `ip netns del`). */
export async function namespacePids(namespace: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', namespace]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}
