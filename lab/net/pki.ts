import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * The lab's own small PKI: a CA, the population-data service's server certificate and one
 * client certificate, so the service can demand mutual TLS exactly as the real ones do.
 * node-forge lays out the X.509 structures; Node's crypto makes the keys and the signatures
 * (RSA-2048, SHA-256), so no signature is ever computed in JavaScript or with SHA-1.
 */

export interface LabPkiFiles {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface LabPkiOptions {
  /** Names the CA, so certificates from two labs are told apart at a glance. */
  labName: string;
  serverIps: string[];
  serverDnsNames?: string[];
  validDays?: number;
}

interface Identity {
  key: KeyObject;
  keyId: Buffer;
  cert: forge.pki.Certificate;
}

const SHA256_WITH_RSA = forge.pki.oids.sha256WithRSAEncryption!;
// node-forge builds this structure but its type definitions do not declare the function.
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

export function createLabPki(dir: string, opts: LabPkiOptions): LabPkiFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const validDays = opts.validDays ?? 365;
  const ca = issue({
    subject: `Chốt lab CA (${opts.labName})`,
    validDays,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = issue({
    subject: 'population-data service',
    issuer: ca,
    validDays,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...opts.serverIps.map((ip) => ({ type: 7, ip })), ...(opts.serverDnsNames ?? []).map((value) => ({ type: 2, value }))],
      },
    ],
  });
  const client = issue({
    subject: `lab client (${opts.labName})`,
    issuer: ca,
    validDays,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });

  const files: LabPkiFiles = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'service.crt'),
    serverKey: join(dir, 'service.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
  writePublic(files.caCert, ca);
  writeKey(files.caKey, ca);
  writePublic(files.serverCert, server);
  writeKey(files.serverKey, server);
  writePublic(files.clientCert, client);
  writeKey(files.clientKey, client);
  return files;
}

function issue(opts: { subject: string; issuer?: Identity; validDays: number; extensions: object[] }): Identity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = keyIdentifier(publicKey.export({ type: 'spki', format: 'der' }));
  const issuerKeyId = opts.issuer?.keyId ?? keyId;

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = serialNumber();
  // Backdated a little so a host whose clock lags this one still accepts the certificate.
  cert.validity.notBefore = new Date(Date.now() - 5 * 60_000);
  cert.validity.notAfter = new Date(Date.now() + opts.validDays * 86_400_000);
  const subject = [utf8Attribute('commonName', opts.subject), utf8Attribute('organizationName', 'Chốt lab')];
  cert.setSubject(subject);
  cert.setIssuer(opts.issuer ? opts.issuer.cert.subject.attributes : subject);
  cert.setExtensions([
    ...opts.extensions,
    { name: 'subjectKeyIdentifier', value: octetString(keyId) },
    { name: 'authorityKeyIdentifier', value: authorityKeyId(issuerKeyId) },
  ]);

  cert.siginfo.algorithmOid = SHA256_WITH_RSA;
  cert.signatureOid = SHA256_WITH_RSA;
  const tbs = Buffer.from(forge.asn1.toDer(getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, opts.issuer?.key ?? privateKey).toString('binary');
  return { key: privateKey, keyId, cert };
}

/** forge defaults names to PrintableString, which cannot hold "ố"; as UTF8String it encodes the value itself. */
function utf8Attribute(name: string, value: string): forge.pki.CertificateField {
  // forge reads valueTagClass as the universal tag number; its typings mislabel it an asn1.Class.
  const utf8String = forge.asn1.Type.UTF8 as number as forge.asn1.Class;
  return { name, value, valueTagClass: utf8String };
}

/** RFC 7093 method 4: the leftmost 160 bits of the SHA-256 hash of the SubjectPublicKeyInfo. */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha256').update(spki).digest().subarray(0, 20);
}

function octetString(bytes: Buffer): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, bytes.toString('binary'));
}

function authorityKeyId(keyId: Buffer): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId.toString('binary')),
  ]);
}

/** 128 random bits; a first octet of 0x01-0x7f keeps the DER integer positive and minimally encoded. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function writePublic(path: string, id: Identity): void {
  writeFileSync(path, forge.pki.certificateToPem(id.cert), { mode: 0o644 });
}

function writeKey(path: string, id: Identity): void {
  writeFileSync(path, id.key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // writeFileSync's mode applies only to a new file; an old one keeps its mode otherwise.
  chmodSync(path, 0o600);
}
