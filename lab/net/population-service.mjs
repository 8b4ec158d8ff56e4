#!/usr/bin/env node
// The lab's stand-in for a population-data service: HTTPS that demands a client certificate
// from the lab CA, answering lookups of synthetic citizens. It is plain JavaScript so it runs
// the same from the TypeScript sources and from a build; `chot lab up` starts it inside the dc
// namespace. Every request and every refused handshake is one JSON line on stdout.
//
//   node population-service.mjs --cert F --key F --ca F --port 8443 --listen 198.18.0.10 --listen fd00:c407::10

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    port: { type: 'string', default: '8443' },
    listen: { type: 'string', multiple: true },
  },
});
for (const required of ['cert', 'key', 'ca', 'listen']) {
  if (!args[required]) {
    process.stderr.write(`population-service: --${required} is required\n`);
    process.exit(2);
  }
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`population-service: --port ${args.port} is not a TCP port\n`);
  process.exit(2);
}

// The log is the service's only output: losing it (a closed stdout) must not stop the service.
process.stdout.on('error', () => undefined);
// A lab under generated load can send millions of requests; past this the per-request lines
// stop (once said), so a long demo cannot fill the disk. Start and stop are always logged.
const MAX_LOG_BYTES = 64 * 1024 * 1024;
let logged = 0;
const emit = (event, fields) => {
  const perRequest = event === 'request' || event === 'refused';
  if (perRequest && logged > MAX_LOG_BYTES) return;
  const line = JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n';
  logged += line.length;
  try {
    process.stdout.write(line);
    if (perRequest && logged > MAX_LOG_BYTES) process.stdout.write(JSON.stringify({ time: new Date().toISOString(), event: 'log-limit', bytes: MAX_LOG_BYTES }) + '\n');
  } catch {
    // nowhere left to write
  }
};

const tls = {
  cert: readFileSync(args.cert),
  key: readFileSync(args.key),
  ca: readFileSync(args.ca),
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
};

// Synthetic people only: every field is derived from a hash of the id, so answers are stable
// and nothing resembles a real record.
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Phan', 'Vũ', 'Đặng', 'Bùi', 'Đỗ'];
const MIDDLE = ['Văn', 'Thị', 'Minh', 'Ngọc', 'Đức', 'Thu', 'Quốc', 'Hữu'];
const GIVEN = ['An', 'Bình', 'Chi', 'Dũng', 'Hà', 'Hùng', 'Lan', 'Mai', 'Nam', 'Phương', 'Quân', 'Trang'];

function citizen(id) {
  const h = createHash('sha256').update(id).digest();
  const year = 1940 + (h[3] % 66);
  const month = 1 + (h[4] % 12);
  const day = 1 + (h[5] % 28);
  return {
    id,
    fullName: `${FAMILY[h[0] % FAMILY.length]} ${MIDDLE[h[1] % MIDDLE.length]} ${GIVEN[h[2] % GIVEN.length]}`,
    dateOfBirth: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    // The first three digits of a 12-digit citizen id name the province of registration.
    provinceCode: id.slice(0, 3),
    synthetic: true,
  };
}

function reply(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function handle(req, res) {
  const peer = req.socket.getPeerCertificate();
  const url = new URL(req.url ?? '/', 'https://service');
  let status;
  if (req.method !== 'GET') {
    status = 405;
    reply(res, status, { error: 'only GET is served' });
  } else if (url.pathname === '/healthz') {
    status = 200;
    reply(res, status, { status: 'ok' });
  } else if (url.pathname.startsWith('/citizen/')) {
    const id = url.pathname.slice('/citizen/'.length);
    if (/^\d{12}$/.test(id)) {
      status = 200;
      reply(res, status, citizen(id));
    } else {
      status = 400;
      reply(res, status, { error: 'a citizen id is 12 digits' });
    }
  } else {
    status = 404;
    reply(res, status, { error: 'not found' });
  }
  emit('request', {
    client: req.socket.remoteAddress,
    clientCertificate: peer?.subject?.CN,
    method: req.method,
    path: url.pathname,
    status,
  });
}

// Every open TCP connection, so a stop can end them instead of waiting for clients to leave.
const connections = new Set();

const servers = args.listen.map((host) => {
  const server = createServer(tls, handle);
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('tlsClientError', (err, socket) => emit('refused', { client: socket.remoteAddress, reason: err.code ?? err.message }));
  server.on('error', (err) => {
    process.stderr.write(`population-service: cannot listen on [${host}]:${port}: ${err.message}\n`);
    process.exit(1);
  });
  return new Promise((resolve) => server.listen({ host, port }, () => resolve(server)));
});

const listening = await Promise.all(servers);
emit('listening', { addresses: args.listen, port, pid: process.pid });

function stop(signal) {
  // Armed first: nothing below may keep a stopped lab's service alive.
  setTimeout(() => process.exit(0), 1000).unref();
  emit('stopping', { signal });
  for (const s of listening) s.close();
  for (const socket of connections) socket.destroy();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
