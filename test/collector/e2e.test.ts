import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createEsClient } from '../../collector/index/client.js';
import { issueNode, makePki, materialFor, tempDir } from '../certs/fixtures.js';
import { compareConnections, LAB_POPULATION_DATA, replayCapture, truthConnectionCount, type ReplayCapture } from '../support/capture-records.js';
import { freePort, indexedConnections, indexedRecords, startCollectorProcess, startSensorProcess, until, type SensorProcess } from '../support/spine.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

// `chot sensor run` replaying a generator capture (`chot lab traffic`) → collector → Redis →
// Elasticsearch, through a collector killed and Elasticsearch gone: the documents must be
// exactly the connections the sensor makes of the capture, as many as the ground truth has.
describe('end to end: sensor → collector → Redis → Elasticsearch, through failures', () => {
  const esPrefix = `chot-e2e-${randomUUID().slice(0, 8)}`;
  let es: Client;
  let proxy: TcpProxy;
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
    const stack = testStackConfig();
    es = createEsClient({ ...stack.elasticsearch, indexPrefix: esPrefix });
    const target = new URL(stack.elasticsearch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();

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
        elasticsearch: { ...stack.elasticsearch, url: `http://127.0.0.1:${proxy.port}`, indexPrefix: esPrefix },
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
    await proxy?.stop();
    if (es) {
      if (!process.env.CHOT_TEST_KEEP_INDICES) await deleteIndicesWithPrefix(es, esPrefix);
      await es.close();
    }
    pkiDir?.cleanup();
  });

  it('indexes every connection exactly once although the collector is SIGKILLed and Elasticsearch is unreachable for 30 s mid-stream', async () => {
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
    await proxy.stop(); // Elasticsearch unreachable for the restarted collector
    children.push(await startCollectorProcess(configFile));
    // Elasticsearch unreachable for 30 s (connections refused, as when it is stopped).
    await new Promise((r) => setTimeout(r, 30_000));
    await proxy.start();

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
  }, 180_000);
});
