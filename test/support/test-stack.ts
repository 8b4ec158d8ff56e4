import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

/**
 * The stack the test files share, started once by the global setup on ports of its own
 * so a developer's `npm start` stack is never touched.
 */
/**
 * The shared test stack. CHOT_TEST_STACK_DIR, CHOT_TEST_ES_PORT and CHOT_TEST_REDIS_PORT
 * give a run a stack of its own (a clean-clone CI rehearsal beside a developer's runs).
 */
export const TEST_STACK = {
  stateDir: process.env.CHOT_TEST_STACK_DIR ?? '/var/lib/chot/test-stack',
  esPort: Number(process.env.CHOT_TEST_ES_PORT ?? 29200),
  redisPort: Number(process.env.CHOT_TEST_REDIS_PORT ?? 26379),
} as const;

export interface TestStackConfig {
  elasticsearch: { url: string; username: string; password: string };
  /** The console's narrower credential (a stack made before it existed lacks it until restarted). */
  consoleElasticsearch?: { url: string; username: string; password: string };
  redis: { url: string };
  configFile: string;
  superuser: { username: string; password: string };
}

export function testStackConfig(): TestStackConfig {
  const configFile = join(TEST_STACK.stateDir, 'stack.yaml');
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    throw new Error(`the test stack is not up (no ${configFile}): run the suite without CHOT_TEST_STACK=0`);
  }
  const cfg = YAML.parse(text) as Omit<TestStackConfig, 'configFile' | 'superuser'>;
  const creds = JSON.parse(readFileSync(join(TEST_STACK.stateDir, 'credentials.json'), 'utf8')) as { elasticSuperuserPassword: string };
  return { ...cfg, configFile, superuser: { username: 'elastic', password: creds.elasticSuperuserPassword } };
}

/**
 * Deletes every index whose name starts with the prefix. By name, not wildcard: the
 * cluster refuses wildcard deletes (action.destructive_requires_name), as it should.
 */
export async function deleteIndicesWithPrefix(client: import('@elastic/elasticsearch').Client, prefix: string): Promise<void> {
  const rows = (await client.cat.indices({ index: `${prefix}*`, format: 'json', h: ['index'] })) as Array<{ index?: string }>;
  const names = rows.map((r) => r.index).filter((n): n is string => !!n);
  if (names.length > 0) await client.indices.delete({ index: names.join(',') });
}
