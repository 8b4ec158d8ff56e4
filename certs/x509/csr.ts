import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  bitString,
  children,
  decode,
  DerError,
  encode,
  expectSequence,
  implicitConstructed,
  isContext,
  oid,
  preEncoded,
  readBitStringBytes,
  readOid,
  readSmallInteger,
  sequence,
  set,
  signedParts,
  smallInteger,
  readTlv,
  sequenceOfEncoded,
} from './der.js';
import { algorithmIdentifier, signatureAlgorithmByOid, signBytes, signerFor, verifyBytes } from './algorithms.js';
import { decodeSubjectAltName, readExtensions, subjectAltName, type AltNames } from './extensions.js';
import { distinguishedName, type NamePart } from './name.js';
import { OID } from './oid.js';

/** PKCS#10 certificate signing requests: built on the node, checked by the CA. */

export class CsrError extends Error {
  override name = 'CsrError';
}

export interface CsrInput {
  privateKey: KeyObject;
  publicKey: KeyObject;
  subject: NamePart[];
  uris: string[];
}

export function buildCsr(input: CsrInput): Buffer {
  const spki = input.publicKey.export({ type: 'spki', format: 'der' });
  const extensionRequest = sequence(oid(OID.extensionRequest), set(sequence(subjectAltName({ uris: input.uris }))));
  const info = sequence(smallInteger(0), distinguishedName(input.subject), preEncoded(spki, 'SubjectPublicKeyInfo'), implicitConstructed(0, [extensionRequest]));
  const infoDer = encode(info);
  const signer = signerFor(input.privateKey);
  const signature = signBytes(signer, infoDer);
  return sequenceOfEncoded([infoDer, encode(algorithmIdentifier(signer.algorithm)), encode(bitString(signature))]);
}

export interface ParsedCsr {
  /** SubjectPublicKeyInfo exactly as requested. */
  spki: Buffer;
  publicKey: KeyObject;
  altNames: AltNames;
}

/**
 * Parses a CSR and checks its proof of possession (the signature over the request
 * with the requested key). Anything malformed or signed with a refused algorithm
 * is a CsrError whose message says what is wrong.
 */
export function parseCsr(der: Uint8Array): ParsedCsr {
  try {
    return parseCsrUnchecked(Buffer.from(der));
  } catch (err) {
    if (err instanceof CsrError) throw err;
    throw new CsrError(`malformed CSR: ${(err as Error).message}`);
  }
}

function parseCsrUnchecked(der: Buffer): ParsedCsr {
  const [infoNode, algNode, sigNode] = expectSequence(decode(der, 'CSR'), 'CSR', 3);
  const info = expectSequence(infoNode, 'CertificationRequestInfo', 4);
  if (readSmallInteger(info[0], 'CSR version') !== 0) throw new CsrError('malformed CSR: version must be 1 (0)');
  const { toBeSigned } = signedParts(der, 'CSR');

  // The SPKI bytes exactly as sent: walk the info's elements (version, subject, spki).
  const outer = readTlv(toBeSigned, 0, 'CertificationRequestInfo');
  const version = readTlv(toBeSigned, outer.contentStart, 'CSR version');
  const subject = readTlv(toBeSigned, version.end, 'CSR subject');
  const spkiTlv = readTlv(toBeSigned, subject.end, 'CSR subjectPKInfo');
  const spki = toBeSigned.subarray(spkiTlv.start, spkiTlv.end);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw new CsrError('malformed CSR: the public key cannot be read');
  }

  const algOid = readOid(expectSequence(algNode, 'CSR signatureAlgorithm', 1)[0], 'CSR signature algorithm');
  const alg = signatureAlgorithmByOid(algOid);
  if (!alg) throw new CsrError(`CSR signature algorithm ${algOid} is not allowed (ECDSA or RSA with SHA-256/384/512 only)`);
  if (!verifyBytes(alg, toBeSigned, readBitStringBytes(sigNode, 'CSR signature'), publicKey)) {
    throw new CsrError('CSR signature does not verify (no proof of possession of the key)');
  }

  let altNames: AltNames = { uris: [], dnsNames: [], ips: [], others: 0 };
  const attributes = info[3];
  if (!attributes || !isContext(attributes, 0)) throw new DerError('CSR attributes missing');
  for (const attr of children(attributes, 'CSR attributes')) {
    const [typeNode, values] = expectSequence(attr, 'CSR attribute', 2);
    if (readOid(typeNode, 'CSR attribute type') !== OID.extensionRequest) continue;
    const exts = readExtensions(children(values, 'extensionRequest values')[0]!, 'CSR');
    const san = exts.get(OID.subjectAltName);
    if (san) altNames = decodeSubjectAltName(san.value);
  }
  return { spki: Buffer.from(spki), publicKey, altNames };
}
