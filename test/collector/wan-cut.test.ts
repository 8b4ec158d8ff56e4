import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEsClient } from '../../collector/index/client.js';
import { runCommand } from '../../common/process.js';
import { labDown, labUp } from '../../lab/net/index.js';
import type { Lab } from '../../lab/net/lab.js';
import { freePort, indexedRecords, spineFixture, startCollectorProcess, startDriver, until, type SpineFixture } from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// The sensor runs in the lab's commune namespace and reaches the collector (on the host)
// over the lab's real WAN: commune → district → province → data centre → a management
// link to the host. Cutting the commune's WAN link for 30 s must lose and duplicate nothing.
const PREFIX = 'chotw';
const MGMT_HOST = '198.18.99.1';
const MGMT_DC = '198.18.99.2';
const MGMT_IF = `${PREFIX}-mgmt`;
const COMMUNE_WAN_NET = '198.18.21.0/24';

async function sh(argv: string[]): Promise<void> {
  const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
}

describe('the spine over the lab WAN', () => {
  let lab: Lab;
  let fx: SpineFixture;
  let es: Client;
  let collector: ChildProcess | undefined;
  const stack = testStackConfig();
  const stateDir = mkdtempSync(join(tmpdir(), 'chot-wan-lab-'));

  beforeAll(async () => {
    await labDown({ prefix: PREFIX, stateDir }).catch(() => {});
    await runCommand('ip', ['link', 'del', MGMT_IF]);
    lab = await labUp({ prefix: PREFIX, stateDir });
    const dc = lab.namespace('dc');
    // The management link: the host on one side, the data centre on the other.
    await sh(['ip', 'link', 'add', 'name', MGMT_IF, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', dc]);
    await sh(['ip', 'addr', 'add', `${MGMT_HOST}/24`, 'dev', MGMT_IF]);
    await sh(['ip', 'link', 'set', 'dev', MGMT_IF, 'up']);
    await sh(['ip', 'route', 'add', COMMUNE_WAN_NET, 'via', MGMT_DC, 'dev', MGMT_IF]);
    await sh(['ip', 'netns', 'exec', dc, 'ip', 'addr', 'add', `${MGMT_DC}/24`, 'dev', 'mgmt0']);
    await sh(['ip', 'netns', 'exec', dc, 'ip', 'link', 'set', 'dev', 'mgmt0', 'up']);
    await sh(['ip', 'netns', 'exec', dc, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await sh(['ip', 'netns', 'exec', lab.namespace('province'), 'ip', 'route', 'add', '198.18.99.0/24', 'via', '198.18.23.1']);
    fx = await spineFixture();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: fx.esPrefix });
  }, 120_000);

  afterAll(async () => {
    if (collector && collector.exitCode === null) collector.kill('SIGKILL');
    await runCommand('ip', ['link', 'set', 'dev', `${PREFIX}-c-wan`, 'up']);
    await runCommand('ip', ['link', 'del', MGMT_IF]);
    await labDown({ prefix: PREFIX, stateDir });
    rmSync(stateDir, { recursive: true, force: true });
    if (es) {
      await deleteIndicesWithPrefix(es, fx.esPrefix);
      await es.close();
    }
    fx?.cleanup();
  }, 120_000);

  it('loses and duplicates nothing when the WAN link is cut for 30 s mid-stream', async () => {
    const port = await freePort(MGMT_HOST);
    collector = await startCollectorProcess(fx.collectorConfig({ instanceId: 'wan', port, host: MGMT_HOST, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch }));
    const total = 30_000;
    const spoolDir = mkdtempSync(join(stateDir, 'spool-'));
    const driver = startDriver(
      { spoolDir, collectors: [`wss://${MGMT_HOST}:${port}`], tls: await fx.sensorTls('01/001/00021'), sensorId: '01/001/00021', records: total, batch: 100, tsSec: Math.floor(Date.now() / 1000), uidPrefix: 'w', window: 1 },
      ['ip', 'netns', 'exec', lab.namespace('commune')],
    );
    await until(() => (driver.output().match(/acked/g) ?? []).length >= 10, 60_000, `some batches over the WAN (driver said: ${driver.output().slice(-300)})`);
    await sh(['ip', 'link', 'set', 'dev', `${PREFIX}-c-wan`, 'down']);
    const ackedBefore = (driver.output().match(/acked/g) ?? []).length;
    await new Promise((r) => setTimeout(r, 30_000));
    // Nothing can have been acknowledged while the link was down.
    expect((driver.output().match(/acked/g) ?? []).length).toBeLessThanOrEqual(ackedBefore + 2);
    await sh(['ip', 'link', 'set', 'dev', `${PREFIX}-c-wan`, 'up']);
    expect(await driver.done).toBe(0);
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= total, 120_000, 'every record indexed');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await indexedRecords(es, fx.esPrefix)).toEqual({ count: total, duplicates: 0 });
  }, 300_000);
});
