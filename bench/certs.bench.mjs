// Issues certificates for the whole national fleet (one node per province, district and
// commune, from the shared inventory) and compares with openssl signing the same CSRs in
// the same run. Also times loading a 10,000-entry CRL into a TLS context.
//
// Imports the compiled code: run `npm run build` first (npm run bench does).
// Fairness: both sides sign with the same issuing CA key (ECDSA P-256, SHA-256), check every
// CSR's signature, add the same extensions, run single-threaded and write every certificate
// to disk. Chốt fsyncs its journal and audit log once per batch; openssl ca does not fsync.
// openssl runs as one `openssl ca -infiles ...` process per batch of 1,000 CSRs (the same
// batches as Chốt), so process start-up is paid 11 times, not 10,806 times; a per-CSR
// `openssl x509 -req` loop over a sample is reported too, for scale.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(repo, 'dist', 'certs', p));
const { readInventory } = await dist('inventory.js');
const { initPki } = await dist('ca/init.js');
const { issueNodeCertificates } = await dist('ca/issue.js');
const { buildCsr } = await dist('x509/csr.js');
const { toPem } = await dist('x509/pem.js');
const { nodeUri } = await dist('node-id.js');
const { roleOid } = await dist('roles.js');
const { buildCrl, parseCrl } = await dist('revoke/crl.js');

const INVENTORY = join(repo, '..', 'shared', 'data', 'vn-admin-units-2025-03.json');
const BATCH = 1000;
const PASSPHRASE = randomBytes(24).toString('base64url');
const work = mkdtempSync(join(tmpdir(), 'chot-bench-certs-'));
const seconds = (ms) => (ms / 1000).toFixed(2);
const progress = (what) => process.stderr.write(`[certs bench] ${what}\n`);
const rate = (n, ms) => Math.round(n / (ms / 1000)).toLocaleString('en-US');

try {
  // ---- setup (not timed as issuance): the CA, and every node's key and CSR -----------
  const nodes = readInventory(INVENTORY).map((n) => n.nodeId);
  const pki = await initPki({ dir: join(work, 'pki'), passphrase: PASSPHRASE, rootPassphrase: PASSPHRASE, organization: 'Chốt bench', issuingName: 'issuing-1', crlBaseUrl: 'http://pki.bench/crl', actor: 'bench' });
  const ca = pki.unlock('issuing-1', PASSPHRASE);

  progress(`${nodes.length} nodes; generating their keys and CSRs`);
  let t = performance.now();
  const requests = nodes.map((nodeId) => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { csr: buildCsr({ ...kp, subject: [{ type: 'CN', value: nodeId }], uris: [nodeUri(nodeId)] }), nodeId, role: 'sensor' };
  });
  const csrMs = performance.now() - t;

  // ---- Chốt: issue from CSRs, recorded durably batch by batch --------------------------
  progress('issuing with Chốt');
  t = performance.now();
  let issued = 0;
  for (let i = 0; i < requests.length; i += BATCH) {
    const results = await issueNodeCertificates(pki, ca, requests.slice(i, i + BATCH), { via: 'bulk', actor: 'bench' });
    issued += results.filter((r) => 'der' in r).length;
  }
  const chotMs = performance.now() - t;
  if (issued !== nodes.length) throw new Error(`issued ${issued} of ${nodes.length}`);

  // ---- openssl ca: the same CSRs, the same CA key, one process per batch ---------------
  progress('issuing with openssl ca');
  const ossl = join(work, 'openssl');
  mkdirSync(join(ossl, 'csr'), { recursive: true });
  mkdirSync(join(ossl, 'certs'));
  writeFileSync(join(ossl, 'index.txt'), '');
  writeFileSync(join(ossl, 'pass'), PASSPHRASE);
  const csrFiles = requests.map((r, i) => {
    const f = join(ossl, 'csr', `${i}.csr`);
    writeFileSync(f, toPem('CERTIFICATE REQUEST', r.csr));
    return f;
  });
  writeFileSync(
    join(ossl, 'ca.cnf'),
    `[ ca ]
default_ca = bench
[ bench ]
dir = ${ossl}
database = $dir/index.txt
new_certs_dir = $dir/certs
certificate = ${pki.paths.issuing('issuing-1').cert}
private_key = ${pki.paths.issuing('issuing-1').key}
rand_serial = yes
default_md = sha256
default_days = 14
policy = policy_any
unique_subject = no
copy_extensions = copy
x509_extensions = node_ext
[ policy_any ]
commonName = supplied
[ node_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth, ${roleOid('sensor')}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://pki.bench/crl/issuing-1.crl
`,
  );
  t = performance.now();
  for (let i = 0; i < csrFiles.length; i += BATCH) {
    const r = spawnSync('openssl', ['ca', '-config', join(ossl, 'ca.cnf'), '-batch', '-notext', '-passin', `file:${join(ossl, 'pass')}`, '-out', join(ossl, `batch-${i}.pem`), '-infiles', ...csrFiles.slice(i, i + BATCH)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`openssl ca failed: ${r.stderr.slice(-500)}`);
  }
  const opensslMs = performance.now() - t;
  const opensslIssued = readFileSync(join(ossl, 'index.txt'), 'utf8').trim().split('\n').length;
  if (opensslIssued !== nodes.length) throw new Error(`openssl issued ${opensslIssued} of ${nodes.length}`);

  // ---- openssl x509 -req, one process per CSR, on a sample ----------------------------
  progress('openssl x509 -req sample');
  const SAMPLE = 200;
  const plainKey = join(ossl, 'issuing-plain.key');
  execFileSync('openssl', ['pkey', '-in', pki.paths.issuing('issuing-1').key, '-passin', `file:${join(ossl, 'pass')}`, '-out', plainKey]);
  t = performance.now();
  for (let i = 0; i < SAMPLE; i++) {
    execFileSync('openssl', ['x509', '-req', '-in', csrFiles[i], '-CA', pki.paths.issuing('issuing-1').cert, '-CAkey', plainKey, '-CAcreateserial', '-CAserial', join(ossl, 'x509.srl'), '-days', '14', '-sha256', '-copy_extensions', 'copy', '-extfile', join(ossl, 'ca.cnf'), '-extensions', 'node_ext', '-out', join(ossl, 'x509.pem')], { stdio: 'ignore' });
  }
  const x509Ms = performance.now() - t;
  rmSync(plainKey);

  // ---- a 10,000-entry CRL: build, parse, load into a TLS context ---------------------
  progress('CRL timings');
  const now = Date.now();
  const entries = Array.from({ length: 10_000 }, (_, i) => {
    const b = randomBytes(16);
    b[0] = (b[0] & 0x7f) | 0x40;
    return { serial: b.toString('hex').toUpperCase(), revokedAt: new Date(now - i * 1000), reason: 'key-compromise' };
  });
  t = performance.now();
  const crlDer = buildCrl({ issuerName: ca.subjectName, issuerKeyId: ca.keyId, number: 2, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 7 * 86_400_000), entries }, ca.signer);
  const crlBuildMs = performance.now() - t;
  const crlPem = toPem('X509 CRL', crlDer);
  t = performance.now();
  const parsed = parseCrl(crlDer);
  const crlParseMs = performance.now() - t;
  if (parsed.revoked.size !== 10_000) throw new Error('CRL parse lost entries');
  const rootCrl = readFileSync(pki.paths.root.crl, 'utf8');
  const rootPem = readFileSync(pki.paths.root.cert, 'utf8');
  const loads = [];
  for (let i = 0; i < 7; i++) {
    t = performance.now();
    createSecureContext({ ca: rootPem, crl: [rootCrl, crlPem] });
    loads.push(performance.now() - t);
  }
  const empty = [];
  for (let i = 0; i < 7; i++) {
    t = performance.now();
    createSecureContext({ ca: rootPem, crl: [rootCrl] });
    empty.push(performance.now() - t);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // ---- report ---------------------------------------------------------------------------
  const n = nodes.length;
  const lines = [
    `Fleet: ${n.toLocaleString('en-US')} nodes from ${INVENTORY.split('/').pop()} · ${cpus().length} CPUs (${cpus()[0]?.model.trim()}) · Node ${process.version} · ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}`,
    '',
    '| what | time | per second | vs openssl ca |',
    '| --- | ---: | ---: | ---: |',
    `| Chốt: issue ${n.toLocaleString('en-US')} certificates from CSRs (ECDSA P-256, batches of ${BATCH}, journal + audit fsynced per batch) | ${seconds(chotMs)} s | ${rate(n, chotMs)} | ${(opensslMs / chotMs).toFixed(2)}× |`,
    `| openssl ca -infiles: same CSRs, same CA key, one process per ${BATCH} | ${seconds(opensslMs)} s | ${rate(n, opensslMs)} | 1.00× |`,
    `| openssl x509 -req, one process per CSR (${SAMPLE}-CSR sample) | ${seconds((x509Ms * n) / SAMPLE)} s (extrapolated) | ${rate(SAMPLE, x509Ms)} | ${(opensslMs / ((x509Ms * n) / SAMPLE)).toFixed(2)}× |`,
    `| (setup, on the nodes in real life) generate ${n.toLocaleString('en-US')} P-256 keys + CSRs | ${seconds(csrMs)} s | ${rate(n, csrMs)} | |`,
    `| build + sign a 10,000-entry CRL | ${crlBuildMs.toFixed(0)} ms | | |`,
    `| parse it (what a TLS reload does to index revoked serials) | ${crlParseMs.toFixed(0)} ms | | |`,
    `| tls.createSecureContext({crl}) with the 10,000-entry CRL (median of 7) | ${median(loads).toFixed(1)} ms | | |`,
    `| tls.createSecureContext({crl}) with an empty CRL (median of 7) | ${median(empty).toFixed(1)} ms | | |`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const target = 10_000;
  if (chotMs > target) process.stderr.write(`WARNING: fleet issuance took ${seconds(chotMs)} s, over the ${target / 1000} s target\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
