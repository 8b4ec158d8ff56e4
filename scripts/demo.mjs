#!/usr/bin/env node
// The demo part of `npm start`: after the stack (and, as root, the lab) are up, it
// provisions a demo PKI through the real enrollment flow, writes the role configs, and
// starts a collector, a console and (as root) a sensor on the lab's commune WAN link with
// live traffic. `node scripts/demo.mjs up|down|status`. Everything lives in
// /var/lib/chot/demo (or CHOT_DEMO_DIR; the stack's and lab's names come from
// CHOT_STACK_DIR and CHOT_DEMO_LAB); processes are tracked by PID file and stopped
// only when their command line is still ours. Tests and benchmarks may also set
// CHOT_DEMO_WEB_ROOT (a web client build of their own), CHOT_DEMO_UPLINK_DELAY_MS (the
// sensor's batch delay) and CHOT_DEMO_RECORD_AT (close or close-delay: when the sensor writes
// a closed TCP connection's record).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chotBin = join(root, 'bin', 'chot.js');
const DIR = process.env.CHOT_DEMO_DIR ?? '/var/lib/chot/demo';
const STACK_DIR = process.env.CHOT_STACK_DIR ?? '/var/lib/chot/stack';
const LAB = process.env.CHOT_DEMO_LAB ?? 'chot';
const COMMUNE = '01/001/00001'; // Phường Phúc Xá, Ba Đình, Hà Nội: the lab's commune node
const base = process.env.CHOT_DEMO_PORT_BASE ? Number(process.env.CHOT_DEMO_PORT_BASE) : undefined;
// CHOT_DEMO_PORT_BASE moves every port to base..base+5 (tests run a demo beside a real one).
const PORTS = base
  ? { enroll: base, collector: base + 1, console: base + 2, collectorMetrics: base + 3, sensorMetrics: base + 4, consoleMetrics: base + 5 }
  : { enroll: 18444, collector: 8765, console: 8443, collectorMetrics: 9464, sensorMetrics: 9465, consoleMetrics: 9466 };
const isRoot = process.getuid?.() === 0;

const p = (...parts) => join(DIR, ...parts);
const say = (line) => process.stdout.write(`${line}\n`);
const fail = (line) => {
  process.stderr.write(`chot demo: ${line}\n`);
  process.exit(1);
};

function chot(args, opts = {}) {
  const r = spawnSync(process.execPath, [chotBin, ...args], { encoding: 'utf8', env: { ...process.env, CHOT_LOG_LEVEL: 'warn' }, ...opts });
  if (r.status !== 0 && !opts.allowFail) fail(`chot ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** A generated secret kept in secrets/ (mode 0600): base64url for passwords, base64 where a key file wants it. */
function secret(name, bytes = 24, encoding = 'base64url') {
  const file = p('secrets', name);
  if (!existsSync(file)) {
    mkdirSync(p('secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(bytes).toString(encoding) + '\n', { mode: 0o600 });
  }
  return file;
}

function pidOf(name) {
  try {
    const pid = Number(readFileSync(p('run', `${name}.pid`), 'utf8'));
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // A recycled PID belongs to someone else: ours run bin/chot.js or the traffic loop.
    return cmd.includes(chotBin) || cmd.includes('demo-traffic.mjs') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The Node flags the collector runs with (scripts/collector-node-flags: its last line). */
const COLLECTOR_FLAGS = readFileSync(join(root, 'scripts', 'collector-node-flags'), 'utf8').trim().split('\n').at(-1).trim().split(/\s+/);

function startDetached(name, argv) {
  const running = pidOf(name);
  if (running) return { pid: running, already: true };
  mkdirSync(p('run'), { recursive: true });
  mkdirSync(p('logs'), { recursive: true });
  const log = openSync(p('logs', `${name}.log`), 'a');
  const child = spawn(process.execPath, argv[0] === chotBin && argv[1] === 'collector' ? [...COLLECTOR_FLAGS, ...argv] : argv, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, CHOT_LOG_LEVEL: process.env.CHOT_LOG_LEVEL ?? 'info' }, cwd: DIR });
  closeSync(log);
  child.unref();
  writeFileSync(p('run', `${name}.pid`), String(child.pid));
  return { pid: child.pid, already: false };
}

async function until(what, cond, ms, name) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    if (name && !pidOf(name)) fail(`${what}: the process exited; see ${p('logs', `${name}.log`)}:\n${tail(p('logs', `${name}.log`))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${what}: not ready after ${ms / 1000} s; see ${name ? p('logs', `${name}.log`) : 'the logs'}`);
}

const tail = (file) => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
};

const portOpen = (port) =>
  new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

function nodeFiles(name) {
  const d = p('nodes', name);
  const crlDir = join(d, 'crl');
  const crls = existsSync(crlDir) ? readdirSync(crlDir).filter((f) => f.endsWith('.pem')).map((f) => join(crlDir, f)) : [];
  return { certFile: join(d, 'current', 'cert.pem'), keyFile: join(d, 'current', 'key.pem'), caFile: join(d, 'ca.pem'), crlFiles: crls };
}

/** True when the node's certificate exists and is valid for at least another day. */
function enrolled(name) {
  const f = nodeFiles(name).certFile;
  return existsSync(f) && spawnSync('openssl', ['x509', '-checkend', '86400', '-noout', '-in', f]).status === 0;
}

async function provisionPki() {
  const pki = p('pki');
  const caPass = secret('issuing-ca.pass');
  const rootPass = secret('root-ca.pass');
  if (!existsSync(join(pki, 'ca.json'))) {
    const r = chot(['certs', 'init', '--dir', pki, '--passphrase-file', caPass, '--root-passphrase-file', rootPass, '--crl-url', `https://127.0.0.1:${PORTS.enroll}/crl`, '--operator', 'demo'], { allowFail: true });
    if (r.status !== 0 && !/already/i.test(r.stderr)) fail(`chot certs init: ${r.stderr.trim()}`);
  }
  const wanted = [
    { name: 'collector', node: '01', role: 'collector' },
    ...(isRoot ? [{ name: 'sensor', node: COMMUNE, role: 'sensor' }] : []),
  ].filter((n) => !enrolled(n.name));
  if (wanted.length > 0) {
    // Nodes enroll as in the field: a one-time token, a key made on the node, a CSR to the service.
    const svc = startDetached('enroll', [chotBin, 'certs', 'serve', '--dir', pki, '--passphrase-file', caPass, '--listen', `127.0.0.1:${PORTS.enroll}`, '--name', '127.0.0.1']);
    try {
      await until('the enrollment service', () => portOpen(PORTS.enroll), 30_000, 'enroll');
      const rootPem = p('pki-root.pem');
      writeFileSync(rootPem, readFileSync(findRootCert(pki)));
      for (const n of wanted) {
        const t = chot(['certs', 'token', '--dir', pki, '--node', n.node, '--role', n.role, '--ttl', '1h', '--operator', 'demo', '--json']);
        const token = JSON.parse(t.stdout).token ?? JSON.parse(t.stdout)[0]?.token;
        if (!token) fail(`no token in the output of chot certs token: ${t.stdout}`);
        const tokenFile = p('secrets', `${n.name}.token`);
        writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
        chot(['certs', 'enroll', '--url', `https://127.0.0.1:${PORTS.enroll}`, '--node', n.node, '--ca-file', rootPem, '--token-file', tokenFile, '--out', p('nodes', n.name)]);
        rmSync(tokenFile, { force: true });
        say(`enrolled the demo ${n.role} (${n.node})`);
      }
    } finally {
      stop('enroll');
    }
  }
  const consoleTls = p('console-tls');
  if (!existsSync(join(consoleTls, 'cert.pem')) || spawnSync('openssl', ['x509', '-checkend', '86400', '-noout', '-in', join(consoleTls, 'cert.pem')]).status !== 0) {
    chot(['certs', 'server-cert', '--dir', pki, '--passphrase-file', caPass, '--name', 'localhost', '127.0.0.1', '--out', consoleTls, '--days', '30', '--operator', 'demo']);
  }
}

function findRootCert(pki) {
  const cert = join(pki, 'root', 'cert.pem');
  if (!existsSync(cert)) fail(`cannot find the root CA certificate (${cert})`);
  return cert;
}

function writeConfigs() {
  const stackFile = join(STACK_DIR, 'stack.yaml');
  if (!existsSync(stackFile)) fail(`the stack is not up (no ${stackFile}): run \`chot stack up\` first`);
  const stack = YAML.parse(readFileSync(stackFile, 'utf8'));
  const es = { ...stack.elasticsearch, indexPrefix: process.env.CHOT_DEMO_INDEX_PREFIX ?? 'chot' };
  const redis = { url: stack.redis.url, keyPrefix: `${process.env.CHOT_DEMO_INDEX_PREFIX ?? 'chot'}:` };
  const collector = {
    elasticsearch: es,
    redis,
    instanceId: 'demo-collector',
    listen: { host: '127.0.0.1', port: PORTS.collector },
    tls: nodeFiles('collector'),
    metrics: { host: '127.0.0.1', port: PORTS.collectorMetrics },
    detection: { healthEverySeconds: 10 },
  };
  const consoleTls = p('console-tls');
  const inventory = inventoryFile();
  const consoleCfg = {
    // The console's own credential where the stack has one: it may only add to its audit trail.
    elasticsearch: { ...(stack.consoleElasticsearch ?? stack.elasticsearch), indexPrefix: es.indexPrefix },
    redis,
    instanceId: 'demo-console',
    listen: { host: '127.0.0.1', port: PORTS.console },
    tls: { certFile: join(consoleTls, 'cert.pem'), keyFile: join(consoleTls, 'key.pem'), caFile: join(consoleTls, 'ca.pem'), crlFiles: nodeFiles('collector').crlFiles },
    allowedOrigins: [`https://localhost:${PORTS.console}`, `https://127.0.0.1:${PORTS.console}`],
    inventoryFile: inventory,
    // Seals users' TOTP secrets in Redis: 32 random bytes, base64.
    totpKeyFile: secret('console-totp.key', 32, 'base64'),
    metrics: { host: '127.0.0.1', port: PORTS.consoleMetrics },
    ...(process.env.CHOT_DEMO_WEB_ROOT ? { webRoot: process.env.CHOT_DEMO_WEB_ROOT } : {}),
  };
  mkdirSync(p('config'), { recursive: true, mode: 0o700 });
  writeFileSync(p('config', 'collector.yaml'), YAML.stringify(collector), { mode: 0o600 });
  writeFileSync(p('config', 'console.yaml'), YAML.stringify(consoleCfg), { mode: 0o600 });
  if (isRoot) {
    const sensor = {
      name: 'demo-commune',
      interfaces: [{ name: `${LAB}-c-wan`, bufferMb: 32 }],
      populationData: {
        services: [{ name: 'population-data', cidrs: ['198.18.0.10/32', 'fd00:c407::10/128'], ports: [8443] }],
        enforcers: ['198.18.10.0/24', '198.18.16.0/20', 'fd00:c407:0:10::/64'],
      },
      metrics: { host: '127.0.0.1', port: PORTS.sensorMetrics },
      uplink: {
        collectors: [`wss://127.0.0.1:${PORTS.collector}`],
        tls: nodeFiles('sensor'),
        spool: { dir: p('sensor-spool'), maxMb: 512 },
        ...(process.env.CHOT_DEMO_UPLINK_DELAY_MS ? { batch: { maxDelayMs: Number(process.env.CHOT_DEMO_UPLINK_DELAY_MS) } } : {}),
      },
      ...(process.env.CHOT_DEMO_RECORD_AT ? { flows: { recordAt: process.env.CHOT_DEMO_RECORD_AT } } : {}),
    };
    writeFileSync(p('config', 'sensor.yaml'), YAML.stringify(sensor), { mode: 0o600 });
  }
}

/** The national inventory when this checkout sits beside the shared data, else the lab's own branch of it. */
function inventoryFile() {
  const shared = resolve(root, '..', 'shared', 'data', 'vn-admin-units-2025-03.json');
  if (existsSync(shared)) return shared;
  const file = p('config', 'inventory.json');
  const units = { data: [{ level1_id: '01', name: 'Thành phố Hà Nội', level2s: [{ level2_id: '001', name: 'Quận Ba Đình', level3s: [{ level3_id: '00001', name: 'Phường Phúc Xá' }] }] }] };
  mkdirSync(p('config'), { recursive: true });
  writeFileSync(file, JSON.stringify(units));
  return file;
}

function demoUser() {
  const passwordFile = secret('demo-user.password', 12);
  const cfg = p('config', 'console.yaml');
  const roles = ['analyst', 'engineer', 'auditor', 'admin'].flatMap((r) => ['-r', r]);
  const add = chot(['console', 'user', 'add', 'demo', '-c', cfg, ...roles, '--display-name', 'Demo analyst', '--password-file', passwordFile], { allowFail: true });
  if (add.status !== 0) {
    if (!/exist/i.test(add.stderr)) fail(`chot console user add demo: ${add.stderr.trim()}`);
    chot(['console', 'user', 'set', 'demo', '-c', cfg, ...roles, '--password-file', passwordFile, '--enable']);
  }
  return readFileSync(passwordFile, 'utf8').trim();
}

async function up() {
  mkdirSync(DIR, { recursive: true, mode: 0o700 });
  await provisionPki();
  writeConfigs();
  const password = demoUser();

  const collector = startDetached('collector', [chotBin, 'collector', 'run', '--config', p('config', 'collector.yaml')]);
  // Probed on its metrics port: a bare TCP probe of the ingest port reads as a failed sensor handshake in its log.
  await until('the collector', () => portOpen(PORTS.collectorMetrics), 60_000, 'collector');
  say(`collector ${collector.already ? 'already running' : 'started'}: wss://127.0.0.1:${PORTS.collector} (PID ${collector.pid}, metrics http://127.0.0.1:${PORTS.collectorMetrics}/metrics)`);
  const consoleProc = startDetached('console', [chotBin, 'console', 'run', '--config', p('config', 'console.yaml')]);
  await until('the console', () => portOpen(PORTS.consoleMetrics), 60_000, 'console');
  say(`console ${consoleProc.already ? 'already running' : 'started'}: https://localhost:${PORTS.console} (PID ${consoleProc.pid})`);

  if (isRoot && existsSync(`/sys/class/net/${LAB}-c-wan`)) {
    const sensor = startDetached('sensor', [chotBin, 'sensor', 'run', '--config', p('config', 'sensor.yaml')]);
    await until('the sensor', () => portOpen(PORTS.sensorMetrics), 60_000, 'sensor');
    say(`sensor ${sensor.already ? 'already running' : 'started'} on ${LAB}-c-wan as ${COMMUNE} (PID ${sensor.pid}, metrics http://127.0.0.1:${PORTS.sensorMetrics}/metrics)`);
    const traffic = startDetached('traffic', [join(root, 'scripts', 'demo-traffic.mjs'), `${LAB}-c-wan`]);
    say(`lab traffic ${traffic.already ? 'already running' : 'started'} into ${LAB}-c-wan (PID ${traffic.pid}; benign traffic with attack scenarios, a new seed every round)`);
  } else {
    say(`no demo sensor: ${isRoot ? `the lab's ${LAB}-c-wan is missing (chot lab up)` : 'the lab and live capture need root'}`);
  }

  say('');
  say(`Console:  https://localhost:${PORTS.console}   (trust ${p('console-tls', 'ca.pem')} or accept the warning)`);
  say(`Login:    demo / ${password}`);
  say(`Logs:     ${p('logs')}`);
}

function stop(name) {
  const pid = pidOf(name);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const end = Date.now() + 15_000;
    while (Date.now() < end && existsSync(`/proc/${pid}`)) spawnSync('sleep', ['0.2']);
    if (existsSync(`/proc/${pid}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(p('run', `${name}.pid`), { force: true });
  return pid;
}

function down() {
  // Traffic first, the sensor before the collector (it drains to it), the console last.
  for (const name of ['traffic', 'sensor', 'collector', 'console', 'enroll']) {
    const pid = stop(name);
    if (pid) say(`stopped demo ${name} (PID ${pid})`);
  }
}

function status() {
  for (const name of ['collector', 'console', 'sensor', 'traffic']) {
    const pid = pidOf(name);
    say(`${name.padEnd(10)} ${pid ? `running (PID ${pid})` : 'stopped'}`);
  }
}

const cmd = process.argv[2] ?? 'up';
if (cmd === 'up') await up();
else if (cmd === 'down') down();
else if (cmd === 'status') status();
else fail(`unknown command ${cmd}: use up, down or status`);
