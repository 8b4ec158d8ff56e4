import { createHash, type KeyObject } from 'node:crypto';
import { CLOCK_SKEW_MS } from '../clock.js';
import type { Pki } from '../pki.js';
import { nodeUri } from '../node-id.js';
import type { Role } from '../roles.js';
import type { AuditEvent } from '../store/audit-log.js';
import type { IssuedRecord, IssuedVia } from '../store/records.js';
import { CsrError, parseCsr } from '../x509/csr.js';
import { keyIdentifier } from '../x509/extensions.js';
import { distinguishedName } from '../x509/name.js';
import { toPem } from '../x509/pem.js';
import type { CertificateAuthority } from './authority.js';
import { publicKeyPolicyViolation } from './keys.js';
import { nodeExtensions, serviceExtensions } from './profiles.js';
import { randomSerial, serialHex } from './serial.js';

const DAY = 86_400_000;

/** A request the CA understood but will not sign (the reason is safe to return to the requester). */
export class IssuanceRefused extends Error {
  override name = 'IssuanceRefused';
}

export interface NodeCertificateRequest {
  /** The CSR, DER. */
  csr: Buffer;
  /** The identity the CA has decided this request gets (from a token, or from the current certificate). */
  nodeId: string;
  role: Role;
  /** Overrides the configured lifetime (tests, and operators issuing by hand). */
  validity?: { notBefore: Date; notAfter: Date };
}

export interface IssuedCertificate {
  serial: string;
  nodeId: string;
  role: Role;
  notBefore: Date;
  notAfter: Date;
  der: Buffer;
  pem: string;
}

/**
 * Checks a CSR against the identity decided for it and signs the certificate. The
 * CSR's SAN must name exactly that node and nothing else; the role comes from the
 * decision, never from the CSR. Pure CPU work: nothing is recorded here.
 */
export function signNodeCertificate(pki: Pki, ca: CertificateAuthority, req: NodeCertificateRequest, now = new Date()): IssuedCertificate {
  const csr = parseCsr(req.csr);
  const policy = publicKeyPolicyViolation(csr.publicKey);
  if (policy) throw new IssuanceRefused(`CSR key refused: ${policy}`);
  const wanted = nodeUri(req.nodeId);
  const { uris, dnsNames, ips, others } = csr.altNames;
  if (uris.length !== 1 || uris[0] !== wanted || dnsNames.length || ips.length || others) {
    const asked = [...uris, ...dnsNames.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(', ') || 'nothing';
    throw new IssuanceRefused(`CSR SAN differs from the identity it may have: it asks for ${asked}, allowed is exactly ${wanted}`);
  }
  const notBefore = req.validity?.notBefore ?? new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = req.validity?.notAfter ?? new Date(now.getTime() + pki.config.nodeCertificateDays * DAY);
  const serial = randomSerial();
  const der = ca.sign({
    serial,
    subjectName: distinguishedName([
      { type: 'O', value: pki.config.organization },
      { type: 'OU', value: req.role },
      { type: 'CN', value: req.nodeId },
    ]),
    spki: csr.spki,
    notBefore,
    notAfter,
    extensions: nodeExtensions({
      role: req.role,
      nodeId: req.nodeId,
      subjectKey: csr.publicKey,
      keyId: keyIdentifier(csr.spki),
      issuerKeyId: ca.keyId,
      crlUrl: ca.crlUrl,
    }),
  });
  // notAfter may have been clamped to the CA's own expiry.
  const effectiveNotAfter = notAfter > ca.notAfter ? ca.notAfter : notAfter;
  return { serial: serialHex(serial), nodeId: req.nodeId, role: req.role, notBefore: secondsOf(notBefore), notAfter: secondsOf(effectiveNotAfter), der, pem: toPem('CERTIFICATE', der) };
}

/** Certificates carry whole seconds; report the times as they are in the certificate. */
const secondsOf = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

export function issuedRecord(c: IssuedCertificate, ca: string, via: IssuedVia, actor: string, now: Date): IssuedRecord {
  return {
    kind: 'issued',
    serial: c.serial,
    ca,
    nodeId: c.nodeId,
    role: c.role,
    subject: `${c.role} ${c.nodeId}`,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    via,
    at: now.toISOString(),
    by: actor,
    cert: c.der.toString('base64'),
  };
}

export function issuedAuditEvent(c: IssuedCertificate, ca: string, via: IssuedVia, actor: string): AuditEvent {
  return {
    action: via === 'renew' ? 'cert.renew' : 'cert.issue',
    actor,
    ca,
    serial: c.serial,
    nodeId: c.nodeId,
    role: c.role,
    notAfter: c.notAfter.toISOString(),
    // The certificate's fingerprint ties the audit line to the exact certificate.
    sha256: createHash('sha256').update(c.der).digest('hex'),
  };
}

export type BatchResult = IssuedCertificate | { error: string; nodeId: string };

/**
 * Issues a batch: signs every request (a bad CSR fails only its own item), then
 * records the batch with one audit write and one store write, each fsynced, in
 * that order so the audit trail never lacks a certificate the store has.
 */
export async function issueNodeCertificates(
  pki: Pki,
  ca: CertificateAuthority,
  requests: readonly NodeCertificateRequest[],
  opts: { via: IssuedVia; actor: string; now?: Date },
): Promise<BatchResult[]> {
  const now = opts.now ?? new Date();
  const results: BatchResult[] = requests.map((r) => {
    try {
      return signNodeCertificate(pki, ca, r, now);
    } catch (err) {
      if (err instanceof CsrError || err instanceof IssuanceRefused) return { error: err.message, nodeId: r.nodeId };
      throw err;
    }
  });
  const issued = results.filter((r): r is IssuedCertificate => 'der' in r);
  await pki.exclusive(() => {
    pki.audit.append(
      issued.map((c) => issuedAuditEvent(c, ca.name, opts.via, opts.actor)),
      now,
    );
    pki.store.append(issued.map((c) => issuedRecord(c, ca.name, opts.via, opts.actor, now)));
  });
  return results;
}

/** The enrollment service's own TLS certificate: server-only, named by host names and IPs. */
export async function issueServiceCertificate(
  pki: Pki,
  ca: CertificateAuthority,
  p: { spki: Buffer; subjectKey: KeyObject; dnsNames: string[]; ips: string[]; actor: string; lifetimeDays: number; now?: Date },
): Promise<{ serial: string; der: Buffer; pem: string; notAfter: Date }> {
  const now = p.now ?? new Date();
  const serial = randomSerial();
  const label = p.dnsNames[0] ?? p.ips[0] ?? 'enrollment service';
  const notAfter = new Date(now.getTime() + p.lifetimeDays * DAY);
  const der = ca.sign({
    serial,
    subjectName: distinguishedName([
      { type: 'O', value: pki.config.organization },
      { type: 'CN', value: label },
    ]),
    spki: p.spki,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    extensions: serviceExtensions({ dnsNames: p.dnsNames, ips: p.ips, subjectKey: p.subjectKey, keyId: keyIdentifier(p.spki), issuerKeyId: ca.keyId, crlUrl: ca.crlUrl }),
  });
  const hex = serialHex(serial);
  const effectiveNotAfter = secondsOf(notAfter > ca.notAfter ? ca.notAfter : notAfter);
  await pki.exclusive(() => {
    pki.audit.append([{ action: 'cert.issue', actor: p.actor, ca: ca.name, serial: hex, service: [...p.dnsNames, ...p.ips], notAfter: effectiveNotAfter.toISOString() }], now);
    pki.store.append([
      {
        kind: 'issued',
        serial: hex,
        ca: ca.name,
        nodeId: null,
        role: null,
        subject: `service ${label}`,
        notBefore: secondsOf(new Date(now.getTime() - CLOCK_SKEW_MS)).toISOString(),
        notAfter: effectiveNotAfter.toISOString(),
        via: 'service',
        at: now.toISOString(),
        by: p.actor,
        cert: der.toString('base64'),
      },
    ]);
  });
  return { serial: hex, der, pem: toPem('CERTIFICATE', der), notAfter: effectiveNotAfter };
}
