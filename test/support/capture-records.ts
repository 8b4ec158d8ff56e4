import { createAppAnalyzer } from '../../sensor/app/index.js';
import { FileReader } from '../../sensor/capture/file-reader.js';
import { Pipeline } from '../../sensor/pipeline.js';
import { PopulationDataPolicyChecker } from '../../sensor/policy/population-data.js';
import type { ConnRecord } from '../../sensor/record.js';

/**
 * The connection records the sensor makes of a capture file, with every analyzer and the
 * lab's population-data policy: the service at 198.18.0.10 / fd00:c407::10 port 8443, and
 * the commune LANs as the sanctioned clients (the generator's scenarios break that rule).
 */
export function recordsOfCapture(file: string): ConnRecord[] {
  const policy = new PopulationDataPolicyChecker([{ name: 'popdata', cidrs: ['198.18.0.10/32', 'fd00:c407::10/128'], ports: [8443] }], ['198.18.10.0/24', '198.18.16.0/20', 'fd00:c407:0:10::/64']);
  const records: ConnRecord[] = [];
  const p = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: createAppAnalyzer, policy });
  new FileReader(file).readAll(p);
  p.finish();
  return records;
}
