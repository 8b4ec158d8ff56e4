import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { RuntimeError } from '../common/errors.js';
import { withPidLock } from '../common/lock.js';
import { ensureDistribution } from './elasticsearch/distribution.js';
import { elasticsearchStatus, esPaths, esRequest, esUrl, esVersion, startElasticsearch, stopElasticsearch, type EsNode } from './elasticsearch/node.js';
import { resolveStackOptions, type StackOptions } from './options.js';
import { findJavaHome, requireBinary } from './prerequisites.js';
import { probeRedis, redisDir, redisUrl, runningRedisPid, startRedis, stopRedis, type RedisNode } from './redis.js';
import { loadOrCreateSecrets, writeFileAtomic, type StackSecrets } from './secrets.js';

export { resolveStackOptions, type StackOptions } from './options.js';

export interface StackInfo {
  stateDir: string;
  elasticsearch: { url: string; version: string; pid: number; username: string; password: string; superuser: { username: string; password: string } };
  redis: { url: string; version: string; pid: number; aof: boolean };
  /** The connection config every role can load (elasticsearch + redis sections), mode 0600. */
  configFile: string;
  /** Whether this call started the service (false: it was already running), so a caller stops only what it started. */
  started: { elasticsearch: boolean; redis: boolean };
}

function esNodeFor(opts: StackOptions, home: string, javaHome: string, secrets: StackSecrets): EsNode {
  return { home, javaHome, port: opts.esPort, heapMb: opts.esHeapMb, paths: esPaths(opts.stateDir), secrets };
}

function redisNodeFor(opts: StackOptions, secrets: StackSecrets): RedisNode {
  return { port: opts.redisPort, password: secrets.redisPassword, dir: redisDir(opts.stateDir) };
}

/**
 * Starts Redis and Elasticsearch for this machine, or finds them already running
 * (idempotent), waits until both answer, and writes the roles' connection config.
 */
export async function stackUp(partial: Partial<StackOptions> = {}, log: (line: string) => void = () => {}): Promise<StackInfo> {
  const opts = resolveStackOptions(partial);
  // Two `up`s at once (parallel test runs) would both start a node on the same data.
  return withPidLock(join(opts.stateDir, '.lock'), { what: opts.stateDir, waitMs: 600_000 }, () => up(opts, log));
}

async function up(opts: StackOptions, log: (line: string) => void): Promise<StackInfo> {
  // Every missing prerequisite is named before anything starts.
  requireBinary('redis-server', 'redis-server');
  const javaHome = await findJavaHome();
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o755 });
  const secrets = loadOrCreateSecrets(opts.stateDir);

  const redisNode = redisNodeFor(opts, secrets);
  const redis = await startRedis(redisNode);
  const redisProbe = await probeRedis(redisNode);
  if (!redisProbe.aof) throw new RuntimeError(`Redis on port ${opts.redisPort} runs without AOF persistence: it is not the stack's; stop it or choose another --redis-port`);
  log(`redis ${redis.alreadyRunning ? 'already running' : 'started'}: redis://127.0.0.1:${opts.redisPort} (PID ${redis.pid}, AOF on)`);

  const home = await ensureDistribution(opts.esVersion, opts.cacheDir, log);
  const esNode = esNodeFor(opts, home, javaHome, secrets);
  const es = await startElasticsearch(esNode, log);
  const version = await esVersion(esNode);
  const auth = await esRequest(esNode, '/_security/_authenticate', secrets.productUser, secrets.productPassword);
  if (auth.status !== 200) throw new RuntimeError(`Elasticsearch refused the product user "${secrets.productUser}" (HTTP ${auth.status}): remove ${opts.stateDir} and run up again`);
  log(`elasticsearch ${es.alreadyRunning ? 'already running' : 'started'}: ${esUrl(opts.esPort)} (PID ${es.pid}, version ${version}, security on)`);

  const configFile = join(opts.stateDir, 'stack.yaml');
  writeFileAtomic(
    configFile,
    '# Written by `chot stack up`: how the roles reach this stack. Secrets: keep mode 0600.\n' +
      YAML.stringify({
        elasticsearch: { url: esUrl(opts.esPort), username: secrets.productUser, password: secrets.productPassword },
        // The console's narrower credential (append-only audit trail); collectors use the one above.
        consoleElasticsearch: { url: esUrl(opts.esPort), username: secrets.consoleUser, password: secrets.consolePassword },
        redis: { url: redisUrl(redisNode) },
      }),
    0o600,
  );
  return {
    stateDir: opts.stateDir,
    elasticsearch: {
      url: esUrl(opts.esPort),
      version,
      pid: es.pid,
      username: secrets.productUser,
      password: secrets.productPassword,
      superuser: { username: 'elastic', password: secrets.elasticSuperuserPassword },
    },
    redis: { url: redisUrl(redisNode), version: redisProbe.version ?? 'unknown', pid: redis.pid, aof: redisProbe.aof },
    configFile,
    started: { elasticsearch: !es.alreadyRunning, redis: !redis.alreadyRunning },
  };
}

export interface StackStatus {
  stateDir: string;
  elasticsearch: { url: string; running: boolean; healthy: boolean; pid?: number; version?: string };
  redis: { url: string; running: boolean; healthy: boolean; pid?: number; aof?: boolean; version?: string };
}

export async function stackStatus(partial: Partial<StackOptions> = {}): Promise<StackStatus> {
  const opts = resolveStackOptions(partial);
  const url = `redis://127.0.0.1:${opts.redisPort}`;
  if (!existsSync(join(opts.stateDir, 'credentials.json'))) {
    return {
      stateDir: opts.stateDir,
      elasticsearch: { url: esUrl(opts.esPort), running: false, healthy: false },
      redis: { url, running: false, healthy: false },
    };
  }
  const secrets = loadOrCreateSecrets(opts.stateDir);
  const redisNode = redisNodeFor(opts, secrets);
  const redisPid = runningRedisPid(redisNode.dir, opts.redisPort);
  const probe = redisPid ? await probeRedis(redisNode) : { pong: false, aof: false, version: undefined };
  const es = await elasticsearchStatus({ home: '', javaHome: '', port: opts.esPort, heapMb: opts.esHeapMb, paths: esPaths(opts.stateDir), secrets });
  return {
    stateDir: opts.stateDir,
    elasticsearch: { url: esUrl(opts.esPort), ...es },
    redis: { url, running: redisPid !== undefined, healthy: probe.pong, pid: redisPid, aof: probe.aof, version: probe.version },
  };
}

/** Stops exactly what `up` started (by PID file, checked against the process's command line). */
export async function stackDown(partial: Partial<StackOptions> = {}, log: (line: string) => void = () => {}): Promise<void> {
  const opts = resolveStackOptions(partial);
  if (!existsSync(opts.stateDir)) return;
  await withPidLock(join(opts.stateDir, '.lock'), { what: opts.stateDir, waitMs: 600_000 }, () => down(opts, log));
}

async function down(opts: StackOptions, log: (line: string) => void): Promise<void> {
  const es = await stopElasticsearch(esPaths(opts.stateDir));
  log(`elasticsearch: ${es === 'absent' ? 'not running' : es}`);
  const redis = await stopRedis(redisDir(opts.stateDir), opts.redisPort);
  log(`redis: ${redis === 'absent' ? 'not running' : redis}`);
}
