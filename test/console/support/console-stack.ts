import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { createEsClient } from '../../../collector/index/client.js';
import { INDEX_KINDS } from '../../../collector/index/names.js';
import { installIndexTemplates } from '../../../collector/index/templates.js';
import { createRedis, type RedisClient } from '../../../collector/streams/redis.js';
import { consoleConfig, type ConsoleConfig } from '../../../console/config.js';
import { startConsole, type RunningConsole } from '../../../console/server/app.js';
import { hashPassword } from '../../../console/server/auth/password.js';
import type { ConsoleRole } from '../../../console/server/auth/roles.js';
import { UserStore } from '../../../console/server/auth/users.js';
import { tempDir } from '../../certs/fixtures.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../../support/test-stack.js';
import { ConsoleClient } from './client.js';
import { TEST_INVENTORY } from './inventory.js';
import { consoleTls, type ConsoleTls } from './pki.js';

export const PASSWORD = 'correct horse battery staple';

export interface TestUser {
  name: string;
  roles: ConsoleRole[];
  scope?: string;
}

/** Users every console test can log in as. */
export const USERS: TestUser[] = [
  { name: 'analyst', roles: ['analyst'] },
  { name: 'analyst2', roles: ['analyst'] },
  { name: 'engineer', roles: ['engineer'] },
  { name: 'auditor', roles: ['auditor'] },
  { name: 'admin', roles: ['admin'] },
  { name: 'hanoi-analyst', roles: ['analyst'], scope: '01' },
  { name: 'hanoi-auditor', roles: ['auditor'], scope: '01' },
  { name: 'hanoi-engineer', roles: ['engineer'], scope: '01' },
  { name: 'hanoi-admin', roles: ['admin'], scope: '01' },
];

export interface ConsoleStack {
  cfg: ConsoleConfig;
  configFile: string;
  esPrefix: string;
  keyPrefix: string;
  es: Client;
  redis: RedisClient;
  tls: ConsoleTls;
  console: RunningConsole;
  url: string;
  client(): ConsoleClient;
  loggedIn(name: string): Promise<ConsoleClient>;
  /** Stops the console server and starts it again on the same port (a restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A console on the shared test stack, with its own index and key prefixes so test files
 * never see each other's data, a certificate from a fresh PKI, and the test users.
 */
export async function startConsoleStack(opts: { name: string; overrides?: Partial<ConsoleConfig>; webRoot?: string } = { name: 'c' }): Promise<ConsoleStack> {
  const stack = testStackConfig();
  const suffix = randomBytes(3).toString('hex');
  // The stack's least-privilege user may use chot-* indices only.
  const esPrefix = `chot-t${opts.name}-${suffix}`;
  const keyPrefix = `chot-t${opts.name}-${suffix}:`;
  const { dir, cleanup } = tempDir(`console-${opts.name}`);
  const tls = await consoleTls(dir);
  const inventoryFile = join(dir, 'inventory.json');
  writeFileSync(inventoryFile, JSON.stringify(TEST_INVENTORY));
  const raw = {
    // The console runs as the console's own user (append-only audit trail), as deployed.
    elasticsearch: { ...(stack.consoleElasticsearch ?? stack.elasticsearch), indexPrefix: esPrefix },
    redis: { url: stack.redis.url, keyPrefix },
    listen: { host: '127.0.0.1', port: 0 },
    tls: { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile, crlFiles: tls.crlFiles },
    inventoryFile,
    ...(opts.webRoot ? { webRoot: opts.webRoot } : {}),
    ...opts.overrides,
  };
  const cfg = consoleConfig.parse(raw);
  const configFile = join(dir, 'console.json');
  writeFileSync(configFile, JSON.stringify(raw));
  // Setting up and cleaning up is the product's (collector's) business, with its credential.
  const es = createEsClient({ ...stack.elasticsearch, indexPrefix: esPrefix });
  await installIndexTemplates(es, esPrefix, INDEX_KINDS);
  const redis = createRedis(cfg.redis, 'console-test');
  const users = new UserStore(redis, keyPrefix);
  const hash = await hashPassword(PASSWORD);
  for (const u of USERS) await users.create({ name: u.name, displayName: u.name, roles: u.roles, ...(u.scope ? { scope: u.scope } : {}), passwordHash: hash });

  const log = pino({ level: process.env.CHOT_TEST_LOG ?? 'silent' });
  let running = await startConsole(cfg, log);
  const s: ConsoleStack = {
    cfg,
    configFile,
    esPrefix,
    keyPrefix,
    es,
    redis,
    tls,
    console: running,
    url: `https://127.0.0.1:${running.port}`,
    client: () => new ConsoleClient(s.url, tls.rootPem),
    loggedIn: async (name) => {
      const c = s.client();
      const res = await c.login(name, PASSWORD);
      if (res.status !== 200) throw new Error(`login of ${name} failed: ${res.status} ${res.text}`);
      return c;
    },
    restart: async () => {
      await running.stop();
      running = await startConsole({ ...cfg, listen: { ...cfg.listen, port: running.port } }, log);
      s.console = running;
    },
    stop: async () => {
      await running.stop();
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await deleteIndicesWithPrefix(es, esPrefix);
      await es.close();
      cleanup();
    },
  };
  return s;
}

/** Makes everything indexed so far searchable now (tests only; production waits for the refresh interval). */
export async function refresh(es: Client, prefix: string): Promise<void> {
  await es.indices.refresh({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
}
