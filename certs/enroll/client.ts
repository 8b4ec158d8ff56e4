import { X509Certificate, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { RuntimeError } from '../../common/errors.js';
import { generateKeyPair, plainPrivateKeyPem, spkiDer, type KeyAlgorithm } from '../ca/keys.js';
import { identityFromPeerCertificate, type PeerIdentity } from '../identity.js';
import { nodeUri, parseNodeId } from '../node-id.js';
import { buildCsr } from '../x509/csr.js';
import { fromPem, toPem } from '../x509/pem.js';
import { installCredentials, readCurrentCredentials, writeCrls, writeTrustAnchor } from './credentials.js';

/**
 * The node side of enrollment. The key is generated here and never leaves the node;
 * only the CSR travels. What comes back is checked (our key, our node, chained to
 * the CA we trust) before it is installed.
 */
export interface EnrollmentResult extends PeerIdentity {
  dir: string;
  /** How many CRLs were fetched into dir/crl, or why none could be (the certificate is installed either way). */
  crls: number | { error: string };
}

export class EnrollmentFailed extends RuntimeError {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export async function enrollNode(opts: {
  url: string;
  token: string;
  nodeId: string;
  /** The root CA certificate (PEM) from the provisioning bundle: how the node trusts the service. */
  caPem: string;
  dir: string;
  keyAlgorithm?: KeyAlgorithm;
}): Promise<EnrollmentResult> {
  const nodeId = parseNodeId(opts.nodeId);
  const keys = await generateKeyPair(opts.keyAlgorithm ?? 'ec-p256');
  const csr = toPem('CERTIFICATE REQUEST', buildCsr({ ...keys, subject: [{ type: 'CN', value: nodeId }], uris: [nodeUri(nodeId)] }));
  const tlsOptions: ConnectionOptions = { ca: opts.caPem, minVersion: 'TLSv1.2' };
  const body = await postJson(new URL('/v1/enroll', opts.url), { token: opts.token, csr }, tlsOptions);
  const identity = acceptCertificate(body, keys.publicKey, nodeId, opts.caPem);
  writeTrustAnchor(opts.dir, opts.caPem);
  installCredentials(opts.dir, { serial: identity.serial, keyPem: plainPrivateKeyPem(keys.privateKey), chainPem: String(body.chain) });
  return { ...identity, dir: opts.dir, crls: await fetchCrlsReporting(opts.url, opts.dir, tlsOptions) };
}

/** Renews over mTLS with the current certificate, with a fresh key; the same node and role come back. */
export async function renewNode(opts: { url: string; dir: string; keyAlgorithm?: KeyAlgorithm }): Promise<EnrollmentResult> {
  const current = readCurrentCredentials(opts.dir);
  const before = identityFromPeerCertificate(current.certDer);
  const keys = await generateKeyPair(opts.keyAlgorithm ?? keyAlgorithmOf(current.certDer));
  const csr = toPem('CERTIFICATE REQUEST', buildCsr({ ...keys, subject: [{ type: 'CN', value: before.nodeId }], uris: [nodeUri(before.nodeId)] }));
  const tlsOptions: ConnectionOptions = { ca: current.caPem, key: current.keyPem, cert: current.chainPem, minVersion: 'TLSv1.2' };
  const body = await postJson(new URL('/v1/renew', opts.url), { csr }, tlsOptions);
  const identity = acceptCertificate(body, keys.publicKey, before.nodeId, current.caPem);
  if (identity.role !== before.role) throw new RuntimeError(`the service returned a ${identity.role} certificate for a ${before.role}`);
  installCredentials(opts.dir, { serial: identity.serial, keyPem: plainPrivateKeyPem(keys.privateKey), chainPem: String(body.chain) });
  return { ...identity, dir: opts.dir, crls: await fetchCrlsReporting(opts.url, opts.dir, { ca: current.caPem, minVersion: 'TLSv1.2' }) };
}

function fetchCrlsReporting(url: string, dir: string, tls: ConnectionOptions): Promise<number | { error: string }> {
  return fetchCrls(url, dir, tls).catch((err: unknown) => ({ error: (err as Error).message }));
}

/** Fetches every CA's CRL from the service into the node's crl/ directory. */
export async function fetchCrls(url: string, dir: string, tlsOptions: ConnectionOptions): Promise<number> {
  const body = await getJson(new URL('/v1/crls', url), tlsOptions);
  const crls = Array.isArray(body.crls) ? (body.crls as { ca: unknown; pem: unknown }[]) : [];
  const valid = crls.filter((c): c is { ca: string; pem: string } => typeof c.ca === 'string' && typeof c.pem === 'string' && fromPem(c.pem, 'X509 CRL').length === 1);
  writeCrls(dir, valid);
  return valid.length;
}

function keyAlgorithmOf(certDer: Buffer): KeyAlgorithm {
  const key = new X509Certificate(certDer).publicKey;
  if (key.asymmetricKeyType === 'rsa') return 'rsa-3072';
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ec-p384' : 'ec-p256';
}

function acceptCertificate(body: Record<string, unknown>, publicKey: KeyObject, nodeId: string, caPem: string): PeerIdentity {
  const chain = typeof body.chain === 'string' ? fromPem(body.chain, 'CERTIFICATE') : [];
  if (chain.length < 2) throw new RuntimeError('the service returned no certificate chain');
  const leaf = new X509Certificate(chain[0]!);
  const issuing = new X509Certificate(chain[1]!);
  const root = new X509Certificate(fromPem(caPem, 'CERTIFICATE')[0]!);
  if (!spkiDer(leaf.publicKey).equals(spkiDer(publicKey))) throw new RuntimeError('the returned certificate is not for this node\'s key');
  if (!leaf.checkIssued(issuing) || !leaf.verify(issuing.publicKey) || !issuing.checkIssued(root) || !issuing.verify(root.publicKey)) {
    throw new RuntimeError('the returned certificate does not chain to the trusted root CA');
  }
  return identityFromPeerCertificate(leaf, { nodeId });
}

function postJson(url: URL, body: unknown, tls: ConnectionOptions): Promise<Record<string, unknown>> {
  return call(url, 'POST', JSON.stringify(body), tls);
}

function getJson(url: URL, tls: ConnectionOptions): Promise<Record<string, unknown>> {
  return call(url, 'GET', undefined, tls);
}

function call(url: URL, method: string, payload: string | undefined, tls: ConnectionOptions): Promise<Record<string, unknown>> {
  if (url.protocol !== 'https:') return Promise.reject(new RuntimeError(`the enrollment service URL must be https: ${url.href}`));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ...tls,
        agent: false,
        timeout: 30_000,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            // reported below by status
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(new EnrollmentFailed(status, `${method} ${url.pathname}: ${status} ${typeof parsed.error === 'string' ? parsed.error : 'error'}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(new EnrollmentFailed(undefined, `${method} ${url.href}: ${err.message}`)));
    req.end(payload);
  });
}
