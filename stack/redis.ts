import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RuntimeError } from '../common/errors.js';
import { isPortFree } from '../common/net.js';
import { isProcessAlive, processCommandLine, readPidFile, runCommand, sleep, stopProcess } from '../common/process.js';
import { requireBinary } from './prerequisites.js';

export interface RedisNode {
  port: number;
  password: string;
  dir: string;
}

export function redisDir(stateDir: string): string {
  return join(stateDir, 'redis');
}

const pidFileOf = (dir: string): string => join(dir, 'redis.pid');

export function redisUrl(node: Pick<RedisNode, 'port' | 'password'>): string {
  return `redis://:${node.password}@127.0.0.1:${node.port}`;
}

export function runningRedisPid(dir: string, port: number): number | undefined {
  const pid = readPidFile(pidFileOf(dir));
  if (!pid || !isProcessAlive(pid)) return undefined;
  return (processCommandLine(pid) ?? '').includes(`:${port}`) ? pid : undefined;
}

/** PING and the AOF setting, over a short-lived connection that never retries forever. */
export async function probeRedis(node: RedisNode): Promise<{ pong: boolean; aof: boolean; version?: string }> {
  const client = new Redis({ port: node.port, host: '127.0.0.1', password: node.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const pong = (await client.ping()) === 'PONG';
    const aof = ((await client.config('GET', 'appendonly')) as string[])[1] === 'yes';
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1];
    return { pong, aof, version };
  } catch {
    return { pong: false, aof: false };
  } finally {
    client.disconnect();
  }
}

export async function startRedis(node: RedisNode): Promise<{ pid: number; alreadyRunning: boolean }> {
  const running = runningRedisPid(node.dir, node.port);
  if (running) {
    if ((await probeRedis(node)).pong) return { pid: running, alreadyRunning: true };
    throw new RuntimeError(`redis-server (PID ${running}) is running on port ${node.port} but does not answer PING with the stack's password: run \`chot stack down\` and up again`);
  }
  const bin = requireBinary('redis-server', 'redis-server');
  if (!(await isPortFree(node.port))) {
    throw new RuntimeError(`port ${node.port} on 127.0.0.1 is in use by another process: stop it, or choose another with --redis-port`);
  }
  mkdirSync(node.dir, { recursive: true, mode: 0o700 });
  // The configuration goes in on stdin: the password then appears neither in a file
  // beside the data nor in the process list.
  const conf = [
    `port ${node.port}`,
    'bind 127.0.0.1',
    `dir ${node.dir}`,
    'daemonize yes',
    `pidfile ${pidFileOf(node.dir)}`,
    `logfile ${join(node.dir, 'redis.log')}`,
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    `requirepass ${node.password}`,
    'protected-mode yes',
    '',
  ].join('\n');
  const r = await runCommand(bin, ['-'], { timeoutMs: 30_000, input: conf });
  if (r.code !== 0) throw new RuntimeError(`redis-server failed to start (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const pid = runningRedisPid(node.dir, node.port);
    if (pid && (await probeRedis(node)).pong) return { pid, alreadyRunning: false };
    await sleep(100);
  }
  throw new RuntimeError(`redis-server did not answer on 127.0.0.1:${node.port} within 20 s (log in ${join(node.dir, 'redis.log')})`);
}

export async function stopRedis(dir: string, port: number): Promise<'stopped' | 'killed' | 'absent'> {
  const pid = runningRedisPid(dir, port);
  if (!pid) return 'absent';
  // SIGTERM makes Redis flush the AOF before it exits.
  return stopProcess(pid, 20_000);
}
