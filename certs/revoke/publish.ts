import { readFileSync } from 'node:fs';
import type { CertificateAuthority } from '../ca/authority.js';
import { CLOCK_SKEW_MS } from '../clock.js';
import { ROOT_NAME } from '../ca/layout.js';
import type { Pki } from '../pki.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { fromPem, toPem } from '../x509/pem.js';
import { buildCrl, parseCrl } from './crl.js';

const DAY = 86_400_000;

export interface PublishedCrl {
  ca: string;
  path: string;
  number: number;
  entries: number;
  thisUpdate: Date;
  nextUpdate: Date;
  pem: string;
}

/** The number of the CRL currently published for a CA, 0 when none is (or it cannot be read). */
function currentNumber(path: string): number {
  try {
    const der = fromPem(readFileSync(path, 'utf8'), 'X509 CRL')[0];
    return der ? (parseCrl(der).number ?? 0) : 0;
  } catch {
    return 0;
  }
}

/**
 * Signs and publishes a fresh CRL for `ca` from the store: every revoked certificate
 * of that CA that has not yet expired, a number one above the last, nextUpdate the
 * configured validity ahead (7 days or more). Call inside `pki.exclusive`.
 */
export function publishCrl(pki: Pki, ca: CertificateAuthority, actor: string, now = new Date()): PublishedCrl {
  const path = (ca.name === ROOT_NAME ? pki.paths.root : pki.paths.issuing(ca.name)).crl;
  const days = ca.name === ROOT_NAME ? pki.config.rootCrlValidityDays : pki.config.crlValidityDays;
  const entries = pki.store.revokedUnexpired(ca.name, now).map((e) => ({ serial: e.serial, revokedAt: e.revocation!.at, reason: e.revocation!.reason }));
  const thisUpdate = new Date(now.getTime() - CLOCK_SKEW_MS);
  const nextUpdate = new Date(now.getTime() + days * DAY);
  const number = currentNumber(path) + 1;
  const der = buildCrl({ issuerName: ca.subjectName, issuerKeyId: ca.keyId, number, thisUpdate, nextUpdate, entries }, ca.signer);
  const pem = toPem('X509 CRL', der);
  pki.audit.append([{ action: 'crl.publish', actor, ca: ca.name, number, entries: entries.length, nextUpdate: nextUpdate.toISOString() }], now);
  writeFileAtomic(path, pem, 0o644);
  return { ca: ca.name, path, number, entries: entries.length, thisUpdate, nextUpdate, pem };
}

/** True when a CA's published CRL is older than `refreshEveryMs`, missing or unreadable: time to re-sign it. */
export function crlRefreshDue(pki: Pki, caName: string, now: Date, refreshEveryMs: number): boolean {
  try {
    const der = fromPem(readFileSync(pki.caFiles(caName).crl, 'utf8'), 'X509 CRL')[0];
    if (!der) return true;
    const crl = parseCrl(der);
    return now.getTime() - crl.thisUpdate.getTime() - CLOCK_SKEW_MS >= refreshEveryMs;
  } catch {
    return true;
  }
}
