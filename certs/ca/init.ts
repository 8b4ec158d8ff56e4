import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError, UsageError } from '../../common/errors.js';
import { CLOCK_SKEW_MS } from '../clock.js';
import { Pki } from '../pki.js';
import { publishCrl } from '../revoke/publish.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { IssuedRecord } from '../store/records.js';
import { signerFor } from '../x509/algorithms.js';
import { keyIdentifier } from '../x509/extensions.js';
import { distinguishedName } from '../x509/name.js';
import { toPem } from '../x509/pem.js';
import { CertificateAuthority } from './authority.js';
import { buildCertificate } from './certificate-builder.js';
import { crlUrlOf, writePkiConfig, type PkiConfig } from './config.js';
import { encryptedPrivateKeyPem, generateKeyPair, MIN_PASSPHRASE_LENGTH, spkiDer, type KeyAlgorithm } from './keys.js';
import { caPaths, CA_NAME, ROOT_NAME } from './layout.js';
import { issuingCaExtensions, rootCaExtensions } from './profiles.js';
import { randomSerial, serialHex } from './serial.js';


export interface InitOptions {
  dir: string;
  /** Protects the issuing CA's key; the enrollment service needs it to run. */
  passphrase: string;
  /** Protects the root key, which is used only to create issuing CAs and sign the root CRL. */
  rootPassphrase: string;
  organization: string;
  issuingName: string;
  crlBaseUrl: string;
  rootKeyAlgorithm?: KeyAlgorithm;
  issuingKeyAlgorithm?: KeyAlgorithm;
  nodeCertificateDays?: number;
  crlValidityDays?: number;
  actor: string;
  now?: Date;
}

function yearsLater(from: Date, years: number): Date {
  const d = new Date(from.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

function checkPassphrase(p: string, what: string): void {
  if (p.length < MIN_PASSPHRASE_LENGTH) throw new UsageError(`the ${what} passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
}

function checkCaName(name: string): void {
  if (!CA_NAME.test(name) || name === ROOT_NAME) {
    throw new UsageError(`bad issuing CA name "${name}": lower-case letters, digits and dashes, at most 32, not "root"`);
  }
}

/**
 * Creates the offline root CA and the first online issuing CA. ca.json is written
 * last: a directory without it is an interrupted init, and init may run again there.
 */
export async function initPki(opts: InitOptions): Promise<Pki> {
  checkPassphrase(opts.passphrase, 'issuing CA');
  checkPassphrase(opts.rootPassphrase, 'root CA');
  checkCaName(opts.issuingName);
  const paths = caPaths(opts.dir);
  if (existsSync(paths.config)) throw new RuntimeError(`${opts.dir} already holds a CA (ca.json exists); add an issuing CA with --add-issuing NAME`);
  const now = opts.now ?? new Date();
  const config: PkiConfig = {
    version: 1,
    organization: opts.organization,
    crlBaseUrl: opts.crlBaseUrl.replace(/\/+$/, ''),
    issuing: [opts.issuingName],
    defaultIssuing: opts.issuingName,
    nodeCertificateDays: opts.nodeCertificateDays ?? 14,
    crlValidityDays: opts.crlValidityDays ?? 7,
    rootCrlValidityDays: 180,
    createdAt: now.toISOString(),
  };
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  chmodSync(opts.dir, 0o700);

  const rootKeys = await generateKeyPair(opts.rootKeyAlgorithm ?? 'ec-p384');
  const rootSpki = spkiDer(rootKeys.publicKey);
  const rootKeyId = keyIdentifier(rootSpki);
  const rootName = distinguishedName([
    { type: 'O', value: opts.organization },
    { type: 'CN', value: `${opts.organization} Root CA` },
  ]);
  const rootSerial = randomSerial();
  const rootDer = buildCertificate(
    {
      serial: rootSerial,
      issuerName: rootName,
      subjectName: rootName,
      spki: rootSpki,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: yearsLater(now, 20),
      extensions: rootCaExtensions(rootKeyId),
    },
    signerFor(rootKeys.privateKey),
  );
  writeFileAtomic(paths.root.key, encryptedPrivateKeyPem(rootKeys.privateKey, opts.rootPassphrase), 0o600);
  writeFileAtomic(paths.root.cert, toPem('CERTIFICATE', rootDer), 0o644);
  const root = new CertificateAuthority(ROOT_NAME, rootDer, rootKeys.privateKey, crlUrlOf(config, ROOT_NAME));

  const pki = Pki.beingInitialised(opts.dir, config);
  await pki.exclusive(async () => {
    pki.audit.append([{ action: 'ca.init', actor: opts.actor, ca: ROOT_NAME, serial: serialHex(rootSerial), organization: opts.organization }], now);
    const issuing = await createIssuingCa(pki, root, opts.issuingName, opts.passphrase, opts.issuingKeyAlgorithm ?? 'ec-p256', opts.actor, now);
    publishCrl(pki, root, opts.actor, now);
    publishCrl(pki, issuing, opts.actor, now);
    writePkiConfig(paths.config, config);
  });
  return Pki.open(opts.dir);
}

/** Adds another issuing CA (e.g. one per region) under the existing root. */
export async function addIssuingCa(
  dir: string,
  opts: { name: string; passphrase: string; rootPassphrase: string; keyAlgorithm?: KeyAlgorithm; actor: string; now?: Date },
): Promise<Pki> {
  checkPassphrase(opts.passphrase, 'issuing CA');
  checkCaName(opts.name);
  const pki = Pki.open(dir);
  if (pki.config.issuing.includes(opts.name)) throw new UsageError(`an issuing CA named "${opts.name}" already exists`);
  const root = pki.unlock(ROOT_NAME, opts.rootPassphrase);
  const now = opts.now ?? new Date();
  await pki.exclusive(async () => {
    const issuing = await createIssuingCa(pki, root, opts.name, opts.passphrase, opts.keyAlgorithm ?? 'ec-p256', opts.actor, now);
    const config: PkiConfig = { ...pki.config, issuing: [...pki.config.issuing, opts.name] };
    // The CRL first: a CA listed in ca.json always has one for relying parties to load.
    publishCrl(pki, issuing, opts.actor, now);
    writePkiConfig(pki.paths.config, config);
  });
  return Pki.open(dir);
}

async function createIssuingCa(pki: Pki, root: CertificateAuthority, name: string, passphrase: string, algorithm: KeyAlgorithm, actor: string, now: Date): Promise<CertificateAuthority> {
  const files = pki.paths.issuing(name);
  mkdirSync(dirname(files.cert), { recursive: true, mode: 0o700 });
  const keys = await generateKeyPair(algorithm);
  const spki = spkiDer(keys.publicKey);
  const serial = randomSerial();
  const der = root.sign({
    serial,
    subjectName: distinguishedName([
      { type: 'O', value: pki.config.organization },
      { type: 'CN', value: `${pki.config.organization} Issuing CA ${name}` },
    ]),
    spki,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: yearsLater(now, 5),
    extensions: issuingCaExtensions({ keyId: keyIdentifier(spki), issuerKeyId: root.keyId, crlUrl: root.crlUrl }),
  });
  const ca = new CertificateAuthority(name, der, keys.privateKey, crlUrlOf(pki.config, name));
  const record: IssuedRecord = {
    kind: 'issued',
    serial: ca.cert.serial,
    ca: ROOT_NAME,
    nodeId: null,
    role: null,
    subject: `issuing CA ${name}`,
    notBefore: ca.cert.notBefore.toISOString(),
    notAfter: ca.cert.notAfter.toISOString(),
    via: 'ca',
    at: now.toISOString(),
    by: actor,
    cert: der.toString('base64'),
  };
  pki.audit.append([{ action: 'ca.add-issuing', actor, ca: name, serial: ca.cert.serial, notAfter: record.notAfter }], now);
  pki.store.append([record]);
  writeFileAtomic(files.key, encryptedPrivateKeyPem(keys.privateKey, passphrase), 0o600);
  writeFileAtomic(files.cert, ca.certPem, 0o644);
  return ca;
}
