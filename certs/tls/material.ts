import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { RuntimeError } from '../../common/errors.js';
import { parseCrl } from '../revoke/crl.js';
import { decodeSubjectKeyIdentifier } from '../x509/extensions.js';
import { OID } from '../x509/oid.js';
import { parseCertificate } from '../x509/certificate.js';
import { pemBlocks } from '../x509/pem.js';

/**
 * Everything a TLS endpoint of Chốt needs: its key and chain, the trust anchors, and
 * the CRLs. CAs and CRLs are kept one PEM block per element, because Node loads only
 * the first CRL of a concatenated bundle.
 */
export interface TlsMaterial {
  key: string;
  /** The node's certificate followed by its issuing CA. */
  cert: string;
  /** Trust anchors (the root CA), one per element. */
  ca: string[];
  /** CRLs of the root and of every issuing CA, one per element. */
  crls: string[];
  passphrase?: string;
}

export interface TlsFiles {
  keyFile: string;
  certFile: string;
  caFile: string;
  /** Each file may hold one or several CRLs. */
  crlFiles: string[];
  /** Only when the node key is encrypted. */
  passphrase?: string;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const ca = pemBlocks(read(files.caFile, 'CA file')).filter((b) => b.label === 'CERTIFICATE');
  if (ca.length === 0) throw new RuntimeError(`${files.caFile}: no certificate in the CA file`);
  const crls = files.crlFiles.flatMap((f) => {
    const blocks = pemBlocks(read(f, 'CRL file')).filter((b) => b.label === 'X509 CRL');
    if (blocks.length === 0) throw new RuntimeError(`${f}: no CRL in it`);
    return blocks.map((b) => b.text);
  });
  return {
    key: read(files.keyFile, 'key file'),
    cert: read(files.certFile, 'certificate file'),
    ca: ca.map((b) => b.text),
    crls,
    ...(files.passphrase !== undefined ? { passphrase: files.passphrase } : {}),
  };
}

/** A fingerprint of the files' identities (inode, size, mtime): changes when any is replaced. */
export function filesSignature(paths: readonly string[]): string {
  return paths
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export interface CrlSummary {
  /** The issuing CA's subject, when its certificate is among the material; else its key id. */
  issuer: string;
  number?: number;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: ReadonlySet<string>;
}

/** Reads each CRL of the material, naming its issuer from the CA certificates present. */
export function summariseCrls(material: TlsMaterial): CrlSummary[] {
  const names = new Map<string, string>();
  for (const block of [...material.ca, ...pemBlocks(material.cert).map((b) => b.text)]) {
    for (const b of pemBlocks(block)) {
      if (b.label !== 'CERTIFICATE') continue;
      const ski = parseCertificate(b.der).extensions.get(OID.subjectKeyIdentifier);
      if (ski) names.set(decodeSubjectKeyIdentifier(ski.value).toString('hex'), new X509Certificate(b.der).subject.replace(/\n/g, ', '));
    }
  }
  return material.crls.map((text) => {
    const der = pemBlocks(text)[0]?.der;
    if (!der) throw new RuntimeError('a CRL element holds no PEM block');
    const crl = parseCrl(der);
    const keyId = crl.authorityKeyId?.toString('hex');
    return {
      issuer: (keyId && names.get(keyId)) ?? `key ${keyId ?? 'unknown'}`,
      ...(crl.number !== undefined ? { number: crl.number } : {}),
      thisUpdate: crl.thisUpdate,
      nextUpdate: crl.nextUpdate,
      revoked: new Set(crl.revoked.keys()),
    };
  });
}
