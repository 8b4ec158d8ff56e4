import type { Client } from '@elastic/elasticsearch';
import { observerFields } from '../../../collector/index/documents.js';
import { dailyIndex } from '../../../common/index-names.js';

/** Connection documents as the collector indexes them (ECS + Zeek), spread over nodes and addresses. */
export function connDoc(i: number, atMs: number, node: string): { index: string; id: string; doc: Record<string, unknown> } {
  const doc = {
    '@timestamp': new Date(atMs).toISOString(),
    event: { kind: 'event', category: ['network'], type: ['connection', 'end'], dataset: 'zeek.connection', id: `C${i}`, duration: 1000 + i },
    source: { ip: `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`, port: 40000 + (i % 1000), bytes: i * 10, packets: 3 },
    destination: { ip: i % 5 === 0 ? '172.16.5.10' : '192.0.2.10', port: i % 2 ? 443 : 53, bytes: i * 20, packets: 4 },
    network: { transport: i % 2 ? 'tcp' : 'udp', protocol: i % 2 ? 'ssl' : 'dns' },
    zeek: { connection: { state: 'SF', history: 'ShADadFf' } },
    observer: observerFields(node),
    ...(i % 7 === 0 ? { chot: { population_data: { service: 'dan-cu', verdict: 'allowed' } } } : {}),
  };
  return { index: dailyIndex('PREFIX', 'conn', atMs), id: `s1:${i}:0`, doc };
}

export async function indexConn(es: Client, prefix: string, docs: Array<{ index: string; id: string; doc: Record<string, unknown> }>): Promise<void> {
  for (let i = 0; i < docs.length; i += 2000) {
    const ops = docs.slice(i, i + 2000).flatMap((d) => [{ create: { _index: d.index.replace('PREFIX', prefix), _id: d.id } }, d.doc]);
    const res = await es.bulk({ operations: ops, refresh: false });
    if (res.errors) throw new Error(`bulk failed: ${JSON.stringify(res.items.find((x) => x.create?.error))}`);
  }
  await es.indices.refresh({ index: `${prefix}-conn-*` });
}
