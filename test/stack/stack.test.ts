import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { isProcessAlive } from '../../common/process.js';
import { runChot } from '../support/chot.js';

// Its own state directory and ports, so this life-cycle test never touches a developer's
// stack or the one other test files share.
// Per run, so two runs on one machine (developers, CI) never stop each other's stack.
const stateDir = `/var/lib/chot/test-stack-lifecycle-${process.pid}`;
// (below the kernel's ephemeral range, 32768 and up, where a client connection's own port could take one; Elasticsearch's transport port is the HTTP port + 100)
const esPort = 24200 + (process.pid % 50);
const redisPort = 25379 + (process.pid % 50);
const portArgs = ['--state-dir', stateDir, '--es-port', String(esPort), '--redis-port', String(redisPort)];

interface StackYaml {
  elasticsearch: { url: string; username: string; password: string };
  consoleElasticsearch: { url: string; username: string; password: string };
  redis: { url: string };
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('chot stack', () => {
  let firstUp: { code: number | null; stdout: string; stderr: string };
  let config: StackYaml;

  beforeAll(async () => {
    await runChot(['stack', 'down', ...portArgs]);
    rmSync(stateDir, { recursive: true, force: true });
    firstUp = await runChot(['stack', 'up', ...portArgs], { timeoutMs: 540_000 });
    if (firstUp.code === 0) config = YAML.parse(readFileSync(join(stateDir, 'stack.yaml'), 'utf8')) as StackYaml;
  }, 600_000);

  afterAll(async () => {
    await runChot(['stack', 'down', ...portArgs]);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('comes up and prints both URLs', () => {
    expect(firstUp.stderr + firstUp.stdout).not.toMatch(/error/i);
    expect(firstUp.code).toBe(0);
    expect(firstUp.stdout).toContain(`http://127.0.0.1:${esPort}`);
    expect(firstUp.stdout).toContain(`redis://127.0.0.1:${redisPort}`);
  });

  it('keeps its secrets in mode-0600 files', () => {
    for (const f of ['credentials.json', 'stack.yaml']) {
      expect(statSync(join(stateDir, f)).mode & 0o777, f).toBe(0o600);
    }
  });

  it('runs a secured Elasticsearch 8.19 that the product user reaches and anonymous users do not', async () => {
    const { url, username, password } = config.elasticsearch;
    const auth = { authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') };
    const anonymous = await fetch(`${url}/_cluster/health`);
    expect(anonymous.status).toBe(401);
    const nodes = (await (await fetch(`${url}/_nodes/_local`, { headers: auth })).json()) as { nodes: Record<string, { version: string }> };
    expect(Object.values(nodes.nodes)[0]!.version).toMatch(/^8\.19\./);
  });

  it('gives the product user its own indices and nothing else', async () => {
    const { url, username, password } = config.elasticsearch;
    const headers = { authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') };
    const own = await fetch(`${url}/chot-lifecycle-probe`, { method: 'PUT', headers });
    expect(own.status).toBe(200);
    const foreign = await fetch(`${url}/other-index`, { method: 'PUT', headers });
    expect(foreign.status).toBe(403);
  });

  it('gives the console a user that may add to its audit trail but never change it', async () => {
    const { url, username, password } = config.consoleElasticsearch;
    expect(username).not.toBe(config.elasticsearch.username);
    const headers = { authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64'), 'content-type': 'application/json' };
    const audit = `${url}/chot-lifecycle-console-audit-2026.11.23`;
    const put = (path: string, body: unknown, method = 'PUT') => fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
    expect((await put('/chot-lifecycle-console-audit-2026.11.23/_create/a1', { user: 'lan', action: 'search' })).status).toBe(201);
    // Overwriting, updating or deleting an entry is refused: the trail only grows.
    expect((await put('/chot-lifecycle-console-audit-2026.11.23/_doc/a1', { user: 'lan', action: 'nothing' })).status).toBe(403);
    expect((await put('/chot-lifecycle-console-audit-2026.11.23/_update/a1', { doc: { action: 'nothing' } }, 'POST')).status).toBe(403);
    expect((await fetch(`${audit}/_doc/a1`, { method: 'DELETE', headers })).status).toBe(403);
    expect((await fetch(audit, { method: 'DELETE', headers })).status).toBe(403);
    // Triage rewrites alerts; connection logs are read-only to it.
    expect((await put('/chot-lifecycle-alerts-2026.11.23/_doc/x', { triage: 'new' })).status).toBe(201);
    expect((await put('/chot-lifecycle-conn-2026.11.23/_doc/x', { forged: true })).status).toBe(403);
    expect((await fetch(`${url}/chot-lifecycle-console-audit-*/_search`, { headers })).status).toBe(200);
  });

  it('runs Redis that answers PING, with AOF persistence on', async () => {
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
    }
    // No ready check: its INFO would itself be refused (NOAUTH) and close the connection first.
    const anonymous = new Redis({ port: redisPort, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, enableReadyCheck: false });
    anonymous.on('error', () => {});
    await anonymous.connect();
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
  });

  it('is idempotent: a second up finds both running and starts nothing new', async () => {
    const before = JSON.parse((await runChot(['stack', 'status', '--json', ...portArgs])).stdout) as { elasticsearch: { pid: number }; redis: { pid: number } };
    const again = await runChot(['stack', 'up', ...portArgs], { timeoutMs: 120_000 });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/redis already running/);
    expect(again.stdout).toMatch(/elasticsearch already running/);
    const after = JSON.parse((await runChot(['stack', 'status', '--json', ...portArgs])).stdout) as { elasticsearch: { pid: number }; redis: { pid: number } };
    expect(after.elasticsearch.pid).toBe(before.elasticsearch.pid);
    expect(after.redis.pid).toBe(before.redis.pid);
  });

  it('names the port when another process holds it', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const r = await runChot(['stack', 'up', '--state-dir', `${stateDir}-squatted`, '--es-port', String(esPort + 1000), '--redis-port', String(taken)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${taken} on 127.0.0.1 is in use`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      squatter.close();
      rmSync(`${stateDir}-squatted`, { recursive: true, force: true });
    }
  });

  it('goes down leaving no process behind, and status then says so', async () => {
    const status = JSON.parse((await runChot(['stack', 'status', '--json', ...portArgs])).stdout) as { elasticsearch: { pid: number }; redis: { pid: number } };
    const down = await runChot(['stack', 'down', ...portArgs], { timeoutMs: 120_000 });
    expect(down.code).toBe(0);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(processesMentioning(`127.0.0.1:${redisPort}`)).toEqual([]);
    // Ended (a zombie briefly waiting for PID 1 to reap it counts as ended).
    expect(isProcessAlive(status.elasticsearch.pid)).toBe(false);
    expect(isProcessAlive(status.redis.pid)).toBe(false);
    const after = await runChot(['stack', 'status', ...portArgs]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/elasticsearch\s+down/);
    expect(after.stdout).toMatch(/redis\s+down/);
  });
});
