import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import { initPki } from '../../certs/ca/init.js';
import { issueNodeCertificates, type IssuedCertificate } from '../../certs/ca/issue.js';
import { nodeUri } from '../../certs/node-id.js';
import type { Pki } from '../../certs/pki.js';
import type { Role } from '../../certs/roles.js';
import type { TlsMaterial } from '../../certs/tls/material.js';
import { buildCsr } from '../../certs/x509/csr.js';
import { pemBlocks } from '../../certs/x509/pem.js';

export const PASSPHRASE = 'issuing passphrase for tests';
export const ROOT_PASSPHRASE = 'root passphrase for tests';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `chot-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function makePki(dir: string, opts: { crlValidityDays?: number } = {}): Promise<{ pki: Pki; ca: CertificateAuthority }> {
  const pki = await initPki({
    dir,
    passphrase: PASSPHRASE,
    rootPassphrase: ROOT_PASSPHRASE,
    organization: 'Chốt test',
    issuingName: 'issuing-1',
    crlBaseUrl: 'http://pki.test/crl',
    actor: 'test',
    ...(opts.crlValidityDays ? { crlValidityDays: opts.crlValidityDays } : {}),
  });
  return { pki, ca: pki.unlock('issuing-1', PASSPHRASE) };
}

export interface NodeCredentials extends IssuedCertificate {
  keyPem: string;
  chainPem: string;
}

/** A node certificate issued the normal way (key generated here, CSR, batch issuance). */
export async function issueNode(
  pki: Pki,
  ca: CertificateAuthority,
  nodeId: string,
  role: Role,
  validity?: { notBefore: Date; notAfter: Date },
): Promise<NodeCredentials> {
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = buildCsr({ ...kp, subject: [{ type: 'CN', value: nodeId }], uris: [nodeUri(nodeId)] });
  const [res] = await issueNodeCertificates(pki, ca, [{ csr, nodeId, role, ...(validity ? { validity } : {}) }], { via: 'bulk', actor: 'test' });
  if (!res || 'error' in res) throw new Error(`issuance failed: ${res && 'error' in res ? res.error : 'no result'}`);
  return { ...res, keyPem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), chainPem: res.pem + ca.certPem };
}

/** The material a TLS endpoint of this PKI uses: its key and chain, the root, every CRL. */
export function materialFor(pki: Pki, creds: { keyPem: string; chainPem: string }): TlsMaterial {
  return {
    key: creds.keyPem,
    cert: creds.chainPem,
    ca: [pki.certPem('root')],
    crls: pki.allCaNames().flatMap((n) => pemBlocks(pki.crlPem(n)).map((b) => b.text)),
  };
}

/** A pino logger writing into an array, to check what was logged. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export interface HandshakeOutcome {
  /** What the server wrote after admitting the client, if anything. */
  greeting?: string;
  error?: string;
  session?: Buffer;
  reused: boolean;
}

/**
 * Connects, waits for the server's greeting or for the connection to end. In TLS 1.3
 * the client finishes its handshake before the server has judged its certificate, so
 * "connected" proves nothing: only the greeting does.
 */
export function handshake(port: number, opts: ConnectionOptions): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    let greeting = '';
    let session: Buffer | undefined;
    let reused = false;
    let error: string | undefined;
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ...opts });
    socket.on('session', (s: Buffer) => (session = s));
    socket.on('secureConnect', () => (reused = socket.isSessionReused()));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      greeting += d;
      if (greeting.endsWith('\n')) socket.end();
    });
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () => resolve({ ...(greeting ? { greeting: greeting.trim() } : {}), ...(error ? { error } : {}), ...(session ? { session } : {}), reused }));
  });
}

export const portOf = (server: { address(): AddressInfo | string | null }): number => (server.address() as AddressInfo).port;

export function listen(server: { listen(port: number, host: string, cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
