import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../common/errors.js';
import { isPortFree } from '../../common/net.js';
import { isProcessAlive, processCommandLine, readPidFile, runCommand, sleep, stopProcess } from '../../common/process.js';
import type { StackSecrets } from '../secrets.js';

/** Elasticsearch refuses to run as root; as root we run it as this system user. */
const ES_USER = 'chot-es';
const PRODUCT_ROLE = 'chot_product';
const CONSOLE_ROLE = 'chot_console';

/**
 * The product's roles. The console's is narrower than the collector's: it reads what the
 * sensors and collectors wrote, rewrites alerts and cases (triage), and may only add to
 * its audit trail (create_doc: no overwrite, no update, no delete), so the trail holds
 * even against a compromised console.
 */
const ROLES_YML = [
  `${PRODUCT_ROLE}:`,
  '  cluster: [monitor, manage_index_templates]',
  '  indices:',
  "    - names: ['chot-*']",
  '      privileges: [all]',
  `${CONSOLE_ROLE}:`,
  '  cluster: [monitor, manage_index_templates]',
  '  indices:',
  "    - names: ['chot*-conn-*', 'chot*-health-*', 'chot*-deadletter-*', 'chot*-enforcer-*']",
  '      privileges: [read, view_index_metadata]',
  "    - names: ['chot*-alerts-*', 'chot*-console-cases*']",
  // maintenance: a refresh, so an alert the live feed showed a moment ago can be triaged at once.
  '      privileges: [read, view_index_metadata, index, create_index, maintenance]',
  "    - names: ['chot*-console-audit-*']",
  '      privileges: [read, view_index_metadata, create_doc, create_index]',
  '',
].join('\n');

export interface EsPaths {
  root: string;
  config: string;
  data: string;
  logs: string;
  tmp: string;
  pidFile: string;
}

export function esPaths(stateDir: string): EsPaths {
  const root = join(stateDir, 'elasticsearch');
  return {
    root,
    config: join(root, 'config'),
    data: join(root, 'data'),
    logs: join(root, 'logs'),
    tmp: join(root, 'tmp'),
    pidFile: join(root, 'run', 'elasticsearch.pid'),
  };
}

export interface EsNode {
  home: string;
  javaHome: string;
  port: number;
  heapMb: number;
  paths: EsPaths;
  secrets: StackSecrets;
}

export function esUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** The PID of our running node, or undefined; a PID file left by a dead or foreign process doesn't count. */
export function runningEsPid(paths: EsPaths): number | undefined {
  const pid = readPidFile(paths.pidFile);
  if (pid && isProcessAlive(pid) && isOurNode(pid, paths)) return pid;
  // Elasticsearch deletes its PID file when it exits, including when a second start on
  // the same data fails: so look for our node by its command line too.
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const candidate = Number(entry);
    if (candidate !== process.pid && isOurNode(candidate, paths) && isProcessAlive(candidate)) return candidate;
  }
  return undefined;
}

function isOurNode(pid: number, paths: EsPaths): boolean {
  const cmd = processCommandLine(pid) ?? '';
  // The server's command line does not carry ES_PATH_CONF, but it does carry the
  // temporary directory we gave it, which is unique to this state directory.
  return cmd.includes('-Des.path.home=') && cmd.includes(`-Djava.io.tmpdir=${paths.tmp} `);
}

function runAsEsUser(): boolean {
  return process.getuid?.() === 0;
}

function ensureEsUser(): void {
  if (spawnSync('id', ['-u', ES_USER]).status === 0) return;
  const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ES_USER], { encoding: 'utf8' });
  if (r.status !== 0) throw new RuntimeError(`could not create the system user ${ES_USER} for Elasticsearch: ${r.stderr.trim()}`);
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

function esTool(node: EsNode, tool: string, args: string[], input?: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return runCommand(join(node.home, 'bin', tool), args, {
    env: { ...process.env, ES_JAVA_HOME: node.javaHome, ES_PATH_CONF: node.paths.config, ES_JAVA_OPTS: '-Xms64m -Xmx128m' },
    timeoutMs: 120_000,
    input,
  });
}

/**
 * Writes the node's configuration once: security on (as on production clusters), the
 * generated superuser password in the keystore, and a least-privilege file-realm user
 * for the product's roles (the test distribution cannot host native-realm users).
 */
async function configure(node: EsNode): Promise<void> {
  const { paths } = node;
  const marker = join(paths.config, '.chot-configured');
  for (const d of [paths.root, paths.data, paths.logs, paths.tmp, join(paths.root, 'run')]) mkdirSync(d, { recursive: true, mode: 0o750 });
  if (!existsSync(marker)) {
    cpSync(join(node.home, 'config'), paths.config, { recursive: true });
    mkdirSync(join(paths.config, 'jvm.options.d'), { recursive: true });
    writeFileSync(
      join(paths.config, 'elasticsearch.yml'),
      [
        'cluster.name: chot-stack',
        'node.name: chot-es',
        `path.data: ${paths.data}`,
        `path.logs: ${paths.logs}`,
        'network.host: 127.0.0.1',
        `http.port: ${node.port}`,
        `transport.port: ${node.port + 100}`,
        'discovery.type: single-node',
        'xpack.security.enabled: true',
        // Loopback only; production clusters terminate TLS here and roles take their CA from config.
        'xpack.security.http.ssl.enabled: false',
        'xpack.security.transport.ssl.enabled: false',
        // A shared development disk must not turn the product's indices read-only.
        'cluster.routing.allocation.disk.threshold_enabled: false',
        '',
      ].join('\n'),
    );
    const ks = await esTool(node, 'elasticsearch-keystore', ['create']);
    if (ks.code !== 0 && !/already exists/.test(ks.stderr + ks.stdout)) throw new RuntimeError(`elasticsearch-keystore create failed: ${lastLine(ks.stderr || ks.stdout)}`);
    const add = await esTool(node, 'elasticsearch-keystore', ['add', '-x', '-f', 'bootstrap.password'], node.secrets.elasticSuperuserPassword);
    if (add.code !== 0) throw new RuntimeError(`could not store the superuser password in the keystore: ${lastLine(add.stderr || add.stdout)}`);
    const user = await esTool(node, 'elasticsearch-users', ['useradd', node.secrets.productUser, '-p', node.secrets.productPassword, '-r', PRODUCT_ROLE]);
    if (user.code !== 0) throw new RuntimeError(`could not create the product user in the file realm: ${lastLine(user.stderr || user.stdout)}`);
    writeFileSync(marker, new Date().toISOString() + '\n');
  }
  // Rewritten every start (ES reloads it live), so a stack made earlier gets new roles.
  writeFileSync(join(paths.config, 'roles.yml'), ROLES_YML);
  const consoleMarker = join(paths.config, '.chot-console-user');
  if (!existsSync(consoleMarker)) {
    const user = await esTool(node, 'elasticsearch-users', ['useradd', node.secrets.consoleUser, '-p', node.secrets.consolePassword, '-r', CONSOLE_ROLE]);
    if (user.code !== 0 && !/already exists/i.test(user.stderr + user.stdout)) throw new RuntimeError(`could not create the console user in the file realm: ${lastLine(user.stderr || user.stdout)}`);
    writeFileSync(consoleMarker, new Date().toISOString() + '\n');
  }
  // Heap is rewritten every time so a changed --es-heap takes effect on the next start.
  writeFileSync(join(paths.config, 'jvm.options.d', 'heap.options'), `-Xms${node.heapMb}m\n-Xmx${node.heapMb}m\n`);
  if (runAsEsUser()) {
    ensureEsUser();
    const uid = Number(spawnSync('id', ['-u', ES_USER], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', ES_USER], { encoding: 'utf8' }).stdout.trim());
    chownTree(paths.root, uid, gid);
  }
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '(no output)'
  );
}

/** The most telling line of the node's own log, for a one-line failure message. */
function lastLogError(paths: EsPaths): string | undefined {
  const file = join(paths.logs, 'chot-stack.log');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0 && i > lines.length - 400; i--) {
    if (/\b(ERROR|FATAL)\b|Exception/.test(lines[i]!)) return lines[i]!.slice(0, 400);
  }
  return undefined;
}

function authHeader(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

export async function esRequest(node: Pick<EsNode, 'port'>, path: string, user: string, password: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(esUrl(node.port) + path, { headers: { authorization: authHeader(user, password) }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain-text answers (cat APIs) are returned as they are
  }
  return { status: res.status, body };
}

/** The version the node reports; read from _nodes because this distribution has no root endpoint. */
export async function esVersion(node: EsNode): Promise<string> {
  const r = await esRequest(node, '/_nodes/_local', 'elastic', node.secrets.elasticSuperuserPassword);
  const nodes = (r.body as { nodes?: Record<string, { version: string }> }).nodes ?? {};
  const first = Object.values(nodes)[0];
  if (!first) throw new RuntimeError(`Elasticsearch on ${esUrl(node.port)} did not report its version (HTTP ${r.status})`);
  return first.version;
}

async function isHealthy(node: EsNode): Promise<boolean> {
  try {
    const r = await esRequest(node, '/_cluster/health', 'elastic', node.secrets.elasticSuperuserPassword);
    const status = (r.body as { status?: string }).status;
    return r.status === 200 && (status === 'green' || status === 'yellow');
  } catch {
    return false;
  }
}

export async function startElasticsearch(node: EsNode, log: (line: string) => void): Promise<{ pid: number; alreadyRunning: boolean }> {
  const running = runningEsPid(node.paths);
  if (running && (await isHealthy(node))) return { pid: running, alreadyRunning: true };
  if (running) {
    // Started earlier but not answering: give it the usual start-up time before declaring it broken.
    await waitHealthy(node, running, 120_000);
    return { pid: running, alreadyRunning: true };
  }
  for (const port of [node.port, node.port + 100]) {
    if (!(await isPortFree(port))) {
      throw new RuntimeError(`port ${port} on 127.0.0.1 is in use by another process: stop it, or choose another with --es-port`);
    }
  }
  await configure(node);
  log(`starting Elasticsearch on ${esUrl(node.port)} (heap ${node.heapMb} MB)…`);
  const argv = [join(node.home, 'bin', 'elasticsearch'), '-d', '-p', node.paths.pidFile];
  // Heap comes from jvm.options.d; an inherited ES_JAVA_OPTS would override it.
  const { ES_JAVA_OPTS: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ES_JAVA_HOME: node.javaHome,
    ES_PATH_CONF: node.paths.config,
    ES_TMPDIR: node.paths.tmp,
  };
  const r = runAsEsUser()
    ? await runCommand('runuser', ['-u', ES_USER, '--', 'env', ...Object.entries(pick(env, ['ES_JAVA_HOME', 'ES_PATH_CONF', 'ES_TMPDIR'])).map(([k, v]) => `${k}=${v}`), ...argv], { timeoutMs: 240_000 })
    : await runCommand(argv[0]!, argv.slice(1), { env, timeoutMs: 240_000 });
  if (r.code !== 0) {
    const why = lastLogError(node.paths) ?? lastLine(r.stderr || r.stdout);
    throw new RuntimeError(`Elasticsearch failed to start (exit ${r.code}): ${why} (full log in ${node.paths.logs})`);
  }
  const pid = readPidFile(node.paths.pidFile);
  if (!pid) throw new RuntimeError(`Elasticsearch started but wrote no PID file at ${node.paths.pidFile}`);
  await waitHealthy(node, pid, 180_000);
  return { pid, alreadyRunning: false };
}

async function waitHealthy(node: EsNode, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) {
      throw new RuntimeError(`Elasticsearch exited while starting: ${lastLogError(node.paths) ?? 'no error in its log'} (log in ${node.paths.logs})`);
    }
    if (await isHealthy(node)) return;
    await sleep(500);
  }
  throw new RuntimeError(`Elasticsearch did not answer on ${esUrl(node.port)} within ${timeoutMs / 1000} s (log in ${node.paths.logs})`);
}

export async function stopElasticsearch(paths: EsPaths): Promise<'stopped' | 'killed' | 'absent'> {
  const pid = runningEsPid(paths);
  if (!pid) return 'absent';
  return stopProcess(pid, 60_000);
}

export async function elasticsearchStatus(node: EsNode): Promise<{ running: boolean; pid?: number; healthy: boolean; version?: string }> {
  const pid = runningEsPid(node.paths);
  if (!pid) return { running: false, healthy: false };
  const healthy = await isHealthy(node);
  const version = healthy ? await esVersion(node).catch(() => undefined) : undefined;
  return { running: true, pid, healthy, version };
}

function pick<T extends Record<string, unknown>>(obj: T, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = String(obj[k]);
  return out;
}

