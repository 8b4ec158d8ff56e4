// http.log (Zeek's base/protocols/http columns, in Zeek's order; the file
// columns stay unset: the sensor does no file analysis) and the ECS http.*,
// url.* and user_agent.* fields of one transaction.

import { compact, ID_FIELDS, idValues, writeIds, type AppLog, type ConnIds, type RowWriter, type ZeekField, type ZeekValue } from '../log-common.js';
import type { HttpTransaction } from './types.js';

export const HTTP_FIELDS: readonly ZeekField[] = [
  ...ID_FIELDS,
  { name: 'trans_depth', type: 'count' },
  { name: 'method', type: 'string' },
  { name: 'host', type: 'string' },
  { name: 'uri', type: 'string' },
  { name: 'referrer', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'user_agent', type: 'string' },
  { name: 'origin', type: 'string' },
  { name: 'request_body_len', type: 'count' },
  { name: 'response_body_len', type: 'count' },
  { name: 'status_code', type: 'count' },
  { name: 'status_msg', type: 'string' },
  { name: 'info_code', type: 'count' },
  { name: 'info_msg', type: 'string' },
  { name: 'tags', type: 'set[string]' }, // set[enum] in Zeek; no tags are set
  { name: 'username', type: 'string' },
  { name: 'password', type: 'string' },
  { name: 'proxied', type: 'set[string]' },
  { name: 'orig_fuids', type: 'vector[string]' },
  { name: 'orig_filenames', type: 'vector[string]' },
  { name: 'orig_mime_types', type: 'vector[string]' },
  { name: 'resp_fuids', type: 'vector[string]' },
  { name: 'resp_filenames', type: 'vector[string]' },
  { name: 'resp_mime_types', type: 'vector[string]' },
];

export function httpRow(conn: ConnIds, t: HttpTransaction): ZeekValue[] {
  return [
    ...idValues(conn, t.tsNs),
    t.transDepth,
    t.method,
    t.host,
    t.uri,
    t.referrer,
    t.responseVersion ?? t.requestVersion, // Zeek ends with the reply's version
    t.userAgent,
    t.origin,
    t.requestBodyLen,
    t.responseBodyLen,
    t.statusCode,
    t.statusMsg,
    t.infoCode,
    t.infoMsg,
    [], // tags
    t.username,
    undefined, // password: never captured
    t.proxied,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
}

const NO_TAGS: readonly string[] = [];

/** httpRow, written field by field. */
export function writeHttpRow(w: RowWriter, conn: ConnIds, t: HttpTransaction): void {
  writeIds(w, conn, t.tsNs);
  w.count(t.transDepth);
  w.str(t.method);
  w.str(t.host);
  w.str(t.uri);
  w.str(t.referrer);
  w.str(t.responseVersion ?? t.requestVersion);
  w.str(t.userAgent);
  w.str(t.origin);
  w.count(t.requestBodyLen);
  w.count(t.responseBodyLen);
  w.count(t.statusCode);
  w.str(t.statusMsg);
  w.count(t.infoCode);
  w.str(t.infoMsg);
  w.list(NO_TAGS);
  w.str(t.username);
  w.str(undefined);
  w.list(t.proxied);
  for (let i = 0; i < 6; i++) w.list(undefined);
  w.end();
}

export const httpLog: AppLog<HttpTransaction[]> = {
  path: 'http',
  fields: HTTP_FIELDS,
  rows: (conn, txs) => txs.map((t) => httpRow(conn, t)),
  write: (w, conn, txs) => {
    for (const t of txs) writeHttpRow(w, conn, t);
  },
};

/** Host header to ECS url.domain and url.port ("[2001:db8::1]:8080" included). */
function splitHost(host: string | undefined): { domain?: string; port?: number } {
  if (host === undefined || host === '') return {};
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(host) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return { domain: host };
  return { domain: m[1], port: m[2] === undefined ? undefined : Number(m[2]) };
}

/** ECS http.*, url.*, user_agent.* (https://www.elastic.co/guide/en/ecs/current/ecs-http.html), Zeek extras under zeek.http. */
export function httpEcs(t: HttpTransaction): Record<string, unknown> {
  const { domain, port } = splitHost(t.host);
  const uri = t.uri;
  const q = uri === undefined ? -1 : uri.indexOf('?');
  const absolute = uri !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(uri); // proxy requests carry the whole URL
  return compact({
    http: {
      version: t.requestVersion,
      request: { method: t.method, referrer: t.referrer, body: { bytes: t.requestBodyLen } },
      response: t.statusCode === undefined ? undefined : { status_code: t.statusCode, body: { bytes: t.responseBodyLen } },
    },
    url: {
      original: uri,
      domain,
      port,
      path: uri === undefined || absolute || uri.startsWith('*') ? undefined : q < 0 ? uri : uri.slice(0, q),
      query: q < 0 || absolute ? undefined : uri!.slice(q + 1),
    },
    user_agent: { original: t.userAgent },
    zeek: {
      http: {
        trans_depth: t.transDepth,
        status_msg: t.statusMsg,
        info_code: t.infoCode,
        info_msg: t.infoMsg,
        username: t.username,
        proxied: t.proxied,
        origin: t.origin,
      },
    },
  });
}
