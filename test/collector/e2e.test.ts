import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createEsClient } from '../../collector/index/client.js';
import { issueNode, makePki, materialFor, tempDir } from '../certs/fixtures.js';
import { compareConnections, LAB_POPULATION_DATA, replayCapture, truthConnectionCount, type ReplayCapture } from '../support/capture-records.js';
import { freePort, indexedConnections, indexedRecords, startCollectorProcess, startSensorProcess, until, type SensorProcess } from '../support/spine.js';
import { isPortFree } from '../../common/net.js';
import { esPaths, stopElasticsearch } from '../../stack/elasticsearch/node.js';
import { stackDown, stackUp, type StackInfo } from '../../stack/index.js';
import { TEST_STACK } from '../support/test-stack.js';

/** An HTTP port whose transport port (+100, as the stack sets it) is free too. */
async function freeEsPort(): Promise<number> {
  for (let p = 21000 + Math.floor(Math.random() * 5000); ; p++) if ((await isPortFree(p)) && (await isPortFree(p + 100))) return p;
}

// `chot sensor run` replaying a generator capture (`chot lab traffic`) → collector → Redis →
// Elasticsearch, through a collector killed and Elasticsearch stopped: the documents must be
// exactly the connections the sensor makes of the capture, as many as the ground truth has.
// Elasticsearch is a node of this test's own (the suite's shared one serves other files
// meanwhile), stopped for real and started again on its data, so the collector also meets
// what a restarting node answers while it recovers its shards.
describe('end to end: sensor → collector → Redis → Elasticsearch, through failures', () => {
  const esPrefix = `chot-e2e-${randomUUID().slice(0, 8)}`;
  const ownStack = { stateDir: join(dirname(TEST_STACK.stateDir), `${basename(TEST_STACK.stateDir)}-e2e-${process.pid}`), esPort: 0, redisPort: 0, esHeapMb: 384 };
  let stack: StackInfo;
  let esConn: { url: string; username: string; password: string };
  let es: Client;
  let configFile: string;
  let pkiDir: { dir: string; cleanup: () => void };
  let sensorTls: { key: string; cert: string; ca: string[]; crls: string[] };
  let port: number;
  const children: ChildProcess[] = [];
  let sensorProcess: SensorProcess | undefined;
  /** Interim records off, uids seeded: the documents can be compared with the records one by one. */
  const flows = { uidSeed: 5519, interimSec: 0 };
  let capture: ReplayCapture;

  beforeAll(async () => {
    ownStack.esPort = await freeEsPort();
    ownStack.redisPort = await freePort();
    stack = await stackUp(ownStack);
    esConn = { url: stack.elasticsearch.url, username: stack.elasticsearch.username, password: stack.elasticsearch.password };
    es = createEsClient({ ...esConn, indexPrefix: esPrefix });

    pkiDir = tempDir('e2e-pki');
    const { pki, ca } = await makePki(pkiDir.dir);
    const collector = await issueNode(pki, ca, '01', 'collector');
    const sensor = await issueNode(pki, ca, '01/001/00001', 'sensor');
    const m = materialFor(pki, collector);
    const files = {
      keyFile: join(pkiDir.dir, 'collector.key'),
      certFile: join(pkiDir.dir, 'collector.crt'),
      caFile: join(pkiDir.dir, 'root.crt'),
      crlFiles: [join(pkiDir.dir, 'all.crl')],
    };
    writeFileSync(files.keyFile, m.key, { mode: 0o600 });
    writeFileSync(files.certFile, m.cert);
    writeFileSync(files.caFile, m.ca.join(''));
    writeFileSync(files.crlFiles[0]!, m.crls.join(''));
    const sm = materialFor(pki, sensor);
    sensorTls = { key: sm.key, cert: sm.cert, ca: sm.ca, crls: sm.crls };
    // A few thousand connections, about 50,000 packets.
    capture = await replayCapture(join(pkiDir.dir, 'e2e.pcap'), { seed: 41, packets: 50_000, scenarios: false }, { ...flows, recordAt: 'close' });

    port = await freePort();
    configFile = join(pkiDir.dir, 'collector.yaml');
    writeFileSync(
      configFile,
      YAML.stringify({
        elasticsearch: { ...esConn, indexPrefix: esPrefix },
        redis: { url: stack.redis.url, keyPrefix: `e2e:${randomUUID()}:` },
        instanceId: 'e2e-collector',
        listen: { host: '127.0.0.1', port },
        tls: files,
        streams: { shards: 2 },
        indexer: { consumers: 2, entriesPerRead: 16 },
      }),
    );
  });

  afterAll(async () => {
    await sensorProcess?.stop();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await es?.close();
    // Stops exactly this test's nodes (by their PID files), then forgets their data.
    if (ownStack.esPort !== 0) await stackDown(ownStack);
    rmSync(ownStack.stateDir, { recursive: true, force: true });
    pkiDir?.cleanup();
  });

  it('indexes every connection exactly once although the collector is SIGKILLed and Elasticsearch is stopped for 30 s mid-stream', async () => {
    children.push(await startCollectorProcess(configFile));
    // A real sensor replaying the capture, about 15 s long.
    const sensor = await startSensorProcess({
      dir: mkdtempSync(join(pkiDir.dir, 'sensor-')),
      tls: sensorTls,
      collectors: [`wss://127.0.0.1:${port}`],
      interfaces: [{ file: capture.file, pace: capture.span / 15, name: 'replay' }],
      flows,
      extra: { populationData: LAB_POPULATION_DATA },
    });
    sensorProcess = sensor;
    await until(async () => (await indexedRecords(es, esPrefix)).count >= 200, 30_000, `the first connections indexed (the sensor said: ${sensor.output().slice(-500)})`);
    expect(sensor.fileDone(), 'the faults come while the capture is still being replayed').toBe(false);

    children[0]!.kill('SIGKILL'); // mid-stream, with batches in flight and entries pending in Redis
    await new Promise((r) => setTimeout(r, 2000)); // the sensor keeps spooling while no collector answers
    // Elasticsearch stopped (SIGTERM, as a service manager does) before the collector comes back.
    expect(await stopElasticsearch(esPaths(ownStack.stateDir))).toBe('stopped');
    children.push(await startCollectorProcess(configFile));
    await new Promise((r) => setTimeout(r, 30_000));
    expect(await esAnswers(esConn.url), 'nothing answers where Elasticsearch was').toBe(false);
    // Started again on its data: the same `stack up`, which finds Redis running and starts the node.
    const again = await stackUp(ownStack);
    expect(again.started.elasticsearch).toBe(true);

    const total = capture.records.length;
    expect(total).toBe(truthConnectionCount(capture.truth));
    await until(() => sensor.fileDone(), 60_000, `the end of the replay (the sensor said: ${sensor.output().slice(-500)})`);
    await until(async () => (await indexedRecords(es, esPrefix)).count >= total, 120_000, `${total} connections indexed (the sensor said: ${sensor.output().slice(-500)})`);
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
    // Exactly the connections the sensor makes of the capture, uids included, each once.
    const docs = await indexedConnections(es, esPrefix);
    expect(compareConnections(docs, capture.records)).toEqual({ count: total, missing: [], unexpected: [], twice: [] });
    expect(await indexedRecords(es, esPrefix)).toEqual({ count: total, duplicates: 0 });
    const sample = await es.search<{ observer: Record<string, unknown> }>({ index: `${esPrefix}-conn-*`, size: 1, query: { term: { 'event.id': capture.records[123]!.uid } } });
    expect(sample.hits.hits[0]!._source!.observer).toMatchObject({ id: '01/001/00001', province: '01', district: '001', commune: '00001', hierarchy: ['01', '01/001', '01/001/00001'] });
    // The sensor lost its collector and came back.
    expect(sensor.output()).toContain('uplink disconnected');
  }, 300_000);
});

/** Whether anything answers HTTP at the node's address (a stopped node refuses the connection). */
async function esAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}
