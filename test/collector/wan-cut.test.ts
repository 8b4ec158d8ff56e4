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
import { compareConnections, LAB_POPULATION_DATA, replayCapture, truthConnectionCount, type ReplayCapture } from '../support/capture-records.js';
import { freePort, indexedConnections, indexedRecords, metricTotal, spineFixture, startCollectorProcess, startSensorProcess, until, type SensorProcess, type SpineFixture } from '../support/spine.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// A real `chot sensor run` in the lab's commune namespace replays a generator capture
// (`chot lab traffic`) and streams its connections to a collector on the host over the lab's
// real WAN: commune → district → province → data centre → a management link to the host.
// The commune's WAN link is cut (its veth down) for 30 s while the replay is mid-flight, then
// restored: the documents must then be exactly the connections the sensor makes of the
// capture (uids included: the uid seed is fixed), as many as the generator's ground truth
// has, none missing, none twice.
const PREFIX = 'chotw';
const MGMT_HOST = '198.18.99.1';
const MGMT_DC = '198.18.99.2';
const MGMT_IF = `${PREFIX}-mgmt`;
const COMMUNE_WAN_NET = '198.18.21.0/24';
const COMMUNE_WAN_IF = `${PREFIX}-c-wan`;
const CUT_MS = 30_000;

async function sh(argv: string[]): Promise<void> {
  const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
}

/** The sensor's log lines (pino JSON) in a piece of its output; a line cut at the piece's start is skipped. */
function logLines(text: string): { msg: string; [k: string]: unknown }[] {
  return text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg: string }];
    } catch {
      return [];
    }
  });
}

describe('the spine over the lab WAN', () => {
  let lab: Lab;
  let fx: SpineFixture;
  let es: Client;
  let collector: ChildProcess | undefined;
  let sensor: SensorProcess | undefined;
  const stack = testStackConfig();
  const stateDir = mkdtempSync(join(tmpdir(), 'chot-wan-lab-'));
  /** Interim records off, uids seeded: the documents can be compared with the records one by one. */
  const flows = { uidSeed: 2113, interimSec: 0 };
  let capture: ReplayCapture;

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
    // A few thousand connections, about 50,000 packets.
    capture = await replayCapture(join(stateDir, 'wan.pcap'), { seed: 53, packets: 50_000, scenarios: false }, { ...flows, recordAt: 'close' });
  }, 120_000);

  afterAll(async () => {
    await sensor?.stop();
    if (collector && collector.exitCode === null) collector.kill('SIGKILL');
    await runCommand('ip', ['link', 'set', 'dev', COMMUNE_WAN_IF, 'up']);
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
    const metricsPort = await freePort();
    collector = await startCollectorProcess(fx.collectorConfig({ instanceId: 'wan', port, host: MGMT_HOST, esUrl: stack.elasticsearch.url, redisUrl: stack.redis.url, esUser: stack.elasticsearch, metricsPort }));
    const collectorMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    // The replay takes about 20 s: the link goes down about 6 s in and stays down past its end.
    const s = await startSensorProcess({
      dir: mkdtempSync(join(stateDir, 'sensor-')),
      tls: await fx.sensorTls('01/001/00021'),
      collectors: [`wss://${MGMT_HOST}:${port}`],
      interfaces: [{ file: capture.file, pace: capture.span / 20, name: 'replay' }],
      flows,
      extra: { populationData: LAB_POPULATION_DATA },
      // Heartbeats every 5 s: the cut (silence, no error) outlasts three of them, so the sensor
      // gives the connection up, retries against a dead link, and reconnects when it returns.
      uplink: { heartbeatSeconds: 5 },
      prefixArgv: ['ip', 'netns', 'exec', lab.namespace('commune')],
      // The commune's WAN address: the host reaches it over the management link while the WAN is up.
      metricsHost: lab.address('commune'),
    });
    sensor = s;
    const startedAt = Date.now();
    const said = (): string => s.output().slice(-500);
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= 200, 30_000, `the first connections indexed over the WAN (the sensor said: ${said()})`);
    await new Promise((r) => setTimeout(r, startedAt + 6000 - Date.now()));
    expect(s.fileDone(), 'the cut comes while the capture is still being replayed').toBe(false);

    await sh(['ip', 'link', 'set', 'dev', COMMUNE_WAN_IF, 'down']);
    const cutAt = Date.now();
    const logAtCut = s.output().length;
    // What was already past the link arrives within a moment; after that nothing can.
    await new Promise((r) => setTimeout(r, 3000));
    const early = { received: await metricTotal(collectorMetrics, 'chot_collector_records_in_total'), spooled: s.spoolBytes() };
    expect(s.fileDone(), 'the sensor keeps recording while it is cut off').toBe(false);
    await new Promise((r) => setTimeout(r, cutAt + CUT_MS - 500 - Date.now()));
    const late = { received: await metricTotal(collectorMetrics, 'chot_collector_records_in_total'), spooled: s.spoolBytes() };
    await new Promise((r) => setTimeout(r, cutAt + CUT_MS - Date.now()));
    await sh(['ip', 'link', 'set', 'dev', COMMUNE_WAN_IF, 'up']);
    const restoredAfterMs = Date.now() - cutAt;

    const n = capture.records.length;
    await until(() => s.fileDone(), 60_000, `the end of the replay (the sensor said: ${said()})`);
    await until(async () => (await indexedRecords(es, fx.esPrefix)).count >= n, 60_000, `${n} connections in Elasticsearch (the sensor said: ${said()})`);
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
    // Exactly the connections the sensor makes of the capture, uids included, each once, as many as the ground truth has.
    expect(compareConnections(await indexedConnections(es, fx.esPrefix), capture.records)).toEqual({ count: n, missing: [], unexpected: [], twice: [] });
    expect(n).toBe(truthConnectionCount(capture.truth));

    // The sensor really was cut off for the 30 s: the collector received nothing while its
    // spool grew with what it went on recording; all of that arrived after the link came back.
    expect(restoredAfterMs).toBeGreaterThanOrEqual(CUT_MS);
    expect(late.received, 'records received by the collector during the cut').toBe(early.received);
    expect(late.received, 'records received by the collector before the link came back').toBeLessThan(n);
    expect(late.spooled, `spooled bytes at the end of the cut (${early.spooled} 3 s into it)`).toBeGreaterThan(early.spooled);
    expect(await metricTotal(collectorMetrics, 'chot_collector_records_in_total')).toBe(n);
    // The silence was noticed (three heartbeats without a word), the connection given up and
    // made again once the link was back: the spool went over a new connection.
    const during = logLines(s.output().slice(logAtCut));
    const silent = during.findIndex((l) => l.msg === 'collector silent; dropping the connection to reconnect');
    expect(silent, `the sensor noticed the silence (it said: ${said()})`).toBeGreaterThanOrEqual(0);
    expect(during.slice(silent).some((l) => l.msg === 'uplink disconnected')).toBe(true);
    expect(during.slice(silent).some((l) => l.msg === 'uplink ready'), `it reconnected (it said: ${said()})`).toBe(true);
    console.log(`wan cut: ${late.received} of ${n} records received before the link came back; spool ${early.spooled} → ${late.spooled} bytes during the cut`);
  }, 120_000);
});
