import { BulkBody } from '../../collector/index/bulk-body.js';
import { appendBatch } from '../../collector/index/documents.js';
import type { StoredBatch } from '../../collector/streams/batch-store.js';

/** The items a stored batch becomes in a bulk body: index, id and document text each. */
export function batchItems(prefix: string, batch: StoredBatch): Array<{ index: string; id: string; json: string }> {
  const body = new BulkBody(1024, 4);
  appendBatch(body, prefix, batch);
  return Array.from({ length: body.count }, (_, i) => ({ ...body.target(i), json: body.documentText(i) }));
}
