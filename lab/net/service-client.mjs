#!/usr/bin/env node
// One HTTPS request from inside a lab namespace (Node cannot enter a network namespace, so the
// lab runs this with `ip netns exec`). Prints one JSON line: {"ok":true,"status":..,"body":..}
// when the server answered, {"ok":false,"error":..,"code":..} when the connection or the TLS
// handshake failed. Exit 0 for an answer, 1 for a failure, 2 for bad arguments.
//
//   node service-client.mjs --url https://198.18.0.10:8443/healthz --ca ca.crt [--cert c.crt --key c.key]

import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'timeout-ms': { type: 'string', default: '5000' },
  },
});
if (!args.url || !args.ca || Boolean(args.cert) !== Boolean(args.key)) {
  process.stderr.write('service-client: needs --url and --ca, and --cert with --key or neither\n');
  process.exit(2);
}
const timeoutMs = Number(args['timeout-ms']);

const MAX_BODY = 1024 * 1024;

function finish(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

const req = request(args.url, {
  ca: readFileSync(args.ca),
  cert: args.cert ? readFileSync(args.cert) : undefined,
  key: args.key ? readFileSync(args.key) : undefined,
  agent: false,
  timeout: timeoutMs,
});
req.on('response', (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => {
    if (body.length < MAX_BODY) body += d;
  });
  res.on('end', () => finish({ ok: true, status: res.statusCode, body }));
  res.on('error', (err) => finish({ ok: false, code: err.code, error: err.message }));
});
req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
req.on('error', (err) => finish({ ok: false, code: err.code, error: err.message }));
req.end();
