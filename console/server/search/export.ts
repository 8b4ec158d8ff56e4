import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { SearchService } from './service.js';
import type { SearchSpec } from './spec.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The columns of a CSV export when the user names none: the Zeek conn.log essentials. */
export const DEFAULT_COLUMNS = [
  '@timestamp',
  'observer.id',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'network.transport',
  'network.protocol',
  'zeek.connection.state',
  'zeek.connection.history',
  'source.bytes',
  'destination.bytes',
  'event.duration',
  'event.id',
];

function pick(source: Record<string, unknown>, path: string): unknown {
  // ECS documents may hold a dotted key flat or nested; accept both.
  if (path in source) return source[path];
  let v: unknown = source;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * One CSV cell (RFC 4180 quoting). Wire data is attacker-controlled, so a text cell
 * that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is prefixed
 * with an apostrophe.
 */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface ExportOptions {
  search: SearchService;
  spec: SearchSpec;
  subtree: string | undefined;
  format: ExportFormat;
  columns: string[];
  user: string;
  maxRows: number;
}

/**
 * Streams every row of a query as CSV or NDJSON, a page at a time, waiting for the
 * client to drain each before reading the next: memory stays flat whatever the size.
 * The first line records who exported what, when, so the file carries its provenance.
 * The response is left open: the caller ends it after recording the export.
 */
export async function streamExport(res: ServerResponse, o: ExportOptions): Promise<{ rows: number; truncated: boolean }> {
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const query = { dataset: o.spec.dataset, from: o.spec.from, to: o.spec.to, filters: o.spec.filters, node: o.subtree ?? null, sort: o.spec.sort };
  res.writeHead(200, {
    'content-type': o.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="chot-export-${stamp}.${o.format}"`,
    'cache-control': 'no-store',
  });
  let aborted = false;
  res.once('close', () => (aborted = !res.writableFinished));
  const write = async (text: string): Promise<void> => {
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const meta = { exported_by: o.user, exported_at: at, query };
  // Column names passed the field-name schema: no quoting needed, and none is wire data.
  if (o.format === 'csv') await write(`# chot export ${csvCell(JSON.stringify(meta))}\n${o.columns.join(',')}\n`);
  else await write(`${JSON.stringify({ chot_export: meta })}\n`);

  let rows = 0;
  let truncated = false;
  for await (const page of o.search.scan(o.spec, o.subtree, { batch: 5000, ...(o.format === 'csv' ? { source: o.columns } : {}) })) {
    if (aborted) break;
    let chunk = '';
    for (const row of page) {
      if (rows >= o.maxRows) {
        truncated = true;
        break;
      }
      chunk += o.format === 'csv' ? `${o.columns.map((c) => csvCell(pick(row.source, c))).join(',')}\n` : `${JSON.stringify({ _index: row.index, _id: row.id, ...row.source })}\n`;
      rows++;
    }
    await write(chunk);
    if (truncated) break;
  }
  if (aborted) throw new Error(`client went away after ${rows} rows`);
  if (truncated) await write(o.format === 'csv' ? `# truncated at ${o.maxRows} rows (the console's export limit)\n` : `${JSON.stringify({ chot_export_truncated: o.maxRows })}\n`);
  // The caller ends the response once the export is in the audit trail.
  return { rows, truncated };
}
