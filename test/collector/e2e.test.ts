import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createEsClient } from '../../collector/index/client.js';
import { RecordBatcher } from '../../sensor/uplink/batcher.js';
import { UplinkClient } from '../../sensor/uplink/client.js';
import type { SensorStats } from '../../sensor/uplink/protocol.js';
import { Spool } from '../../sensor/uplink/spool.js';
import { issueNode, makePki, materialFor, tempDir } from '../certs/fixtures.js';
import { sampleRecord } from '../support/records.js';
import { freePort, startCollectorProcess, until } from '../support/spine.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { deleteIndicesWithPrefix, testStackConfig } from '../support/test-stack.js';

const log = pino({ level: 'silent' });
const stats = (): SensorStats => ({ version: 'e2e', uptimeS: 1, packets: 0, captureDropsKernel: 0, captureDropsInterface: 0, activeFlows: 0, recordsOut: 0, spoolBatches: 0, spoolBytes: 0, spoolDropped: 0 });

describe('end to end: sensor uplink → collector → Redis → Elasticsearch, through failures', () => {
  const esPrefix = `chot-e2e-${randomUUID().slice(0, 8)}`;
  let es: Client;
  let proxy: TcpProxy;
  let configFile: string;
  let pkiDir: { dir: string; cleanup: () => void };
  let sensorTls: { key: string; cert: string; ca: string[] };
  let port: number;
  const children: ChildProcess[] = [];

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
    sensorTls = { key: sm.key, cert: sm.cert, ca: sm.ca };

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
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await proxy?.stop();
    if (es) {
      if (!process.env.CHOT_TEST_KEEP_INDICES) await deleteIndicesWithPrefix(es, esPrefix);
      await es.close();
    }
    pkiDir?.cleanup();
  });

  it('indexes every record exactly once although the collector is SIGKILLed and Elasticsearch is unreachable for 30 s mid-stream', async () => {
    children.push(await startCollectorProcess(configFile));
    const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'chot-e2e-spool-')), maxBytes: 256 << 20 });
    const uplink = new UplinkClient({ collectors: [`wss://127.0.0.1:${port}`], tls: sensorTls, sensorId: '01/001/00001', spool, log, stats, backoffBaseMs: 100, backoffMaxMs: 1000 });
    const batcher = new RecordBatcher(spool, () => uplink.pump(), { maxRecords: 250, maxBytes: 1 << 20, maxDelayMs: 50 });
    uplink.start();

    const total = 20_000;
    const tsSec = Math.floor(Date.now() / 1000);
    let sent = 0;
    const produce = async (upTo: number): Promise<void> => {
      for (; sent < upTo; sent++) {
        batcher.add(sampleRecord(sent, tsSec));
        if (sent % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      batcher.flush();
    };

    await produce(6000);
    children[0]!.kill('SIGKILL'); // mid-stream, with batches in flight and entries pending in Redis
    await produce(12_000); // the sensor keeps spooling while no collector answers
    await proxy.stop(); // Elasticsearch unreachable for the restarted collector
    children.push(await startCollectorProcess(configFile));
    await produce(16_000);
    // Elasticsearch unreachable for 30 s (connections refused, as when it is stopped).
    await new Promise((r) => setTimeout(r, 30_000));
    await proxy.start();
    await produce(total);

    await until(() => uplink.idle, 60_000, 'the sensor spool to drain');
    const index = `${esPrefix}-conn-*`;
    await until(
      async () => {
        try {
          await es.indices.refresh({ index });
          return (await es.count({ index })).count >= total;
        } catch {
          return false; // a new daily index whose shard is not yet allocated
        }
      },
      120_000,
      'every record to be indexed',
    );
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
    await es.indices.refresh({ index });
    expect((await es.count({ index })).count).toBe(total);
    // Exact (one shard): no record twice. A cardinality aggregation would only estimate.
    const twice = await es.search({ index, size: 0, aggs: { d: { terms: { field: 'event.id', min_doc_count: 2, size: 10 } } } });
    expect((twice.aggregations!.d as { buckets: unknown[] }).buckets).toEqual([]);
    const sample = await es.search<{ observer: Record<string, unknown>; source: { ip: string } }>({ index, size: 1, query: { term: { 'event.id': sampleRecord(123).uid } } });
    expect(sample.hits.hits[0]!._source!.observer).toMatchObject({ id: '01/001/00001', province: '01', district: '001', commune: '00001', hierarchy: ['01', '01/001', '01/001/00001'] });
    expect(uplink.counters.reconnects).toBeGreaterThan(0);

    await uplink.stop();
    spool.close();
  }, 300_000);
});
