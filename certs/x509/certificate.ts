import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  decode,
  DerError,
  expectSequence,
  isContext,
  readBitStringBytes,
  readOid,
  readSmallInteger,
  readTime,
  readTlv,
  readUnsignedHex,
  children,
  signedParts,
} from './der.js';
import { readExtensions, type RawExtension } from './extensions.js';
import { signatureAlgorithmByOid, verifyBytes } from './algorithms.js';

/** The parts of an X.509 v3 certificate Chốt reads, with exact byte ranges where it matters. */
export interface ParsedCertificate {
  der: Buffer;
  /** The signed bytes exactly as found. */
  tbs: Buffer;
  /** Uppercase hex, as Node and OpenSSL print it. */
  serial: string;
  signatureAlgorithm: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Map<string, RawExtension>;
  signature: Buffer;
}

/** Byte ranges of the TBSCertificate's top-level elements, in order. */
function tbsElementRanges(tbs: Buffer): Buffer[] {
  const outer = readTlv(tbs, 0, 'TBSCertificate');
  const out: Buffer[] = [];
  for (let p = outer.contentStart; p < outer.end; ) {
    const el = readTlv(tbs, p, 'TBSCertificate element');
    out.push(tbs.subarray(el.start, el.end));
    p = el.end;
  }
  return out;
}

export function parseCertificate(input: Uint8Array): ParsedCertificate {
  const der = Buffer.from(input);
  const what = 'certificate';
  const [tbsNode, algNode, sigNode] = expectSequence(decode(der, what), what, 3);
  const tbsParts = expectSequence(tbsNode, 'TBSCertificate', 6);
  let i = 0;
  if (isContext(tbsParts[0]!, 0)) {
    const version = readSmallInteger(children(tbsParts[0], 'version')[0], 'version');
    if (version !== 2) throw new DerError(`certificate: version ${version + 1} is not supported (v3 only)`);
    i = 1;
  } else {
    throw new DerError('certificate: v1 certificates are not supported (v3 only)');
  }
  const serial = readUnsignedHex(tbsParts[i], 'serialNumber');
  const innerAlg = readOid(expectSequence(tbsParts[i + 1], 'signature', 1)[0], 'signature algorithm');
  const [nb, na] = expectSequence(tbsParts[i + 3], 'validity', 2);
  const notBefore = readTime(nb, 'notBefore');
  const notAfter = readTime(na, 'notAfter');
  let extensions = new Map<string, RawExtension>();
  for (const part of tbsParts.slice(i + 6)) {
    if (isContext(part, 3)) extensions = readExtensions(children(part, 'extensions')[0]!, what);
  }
  const outerAlg = readOid(expectSequence(algNode, 'signatureAlgorithm', 1)[0], 'signature algorithm');
  if (outerAlg !== innerAlg) throw new DerError('certificate: the two signature algorithm fields differ');

  const tbs = signedParts(der, what).toBeSigned;
  const ranges = tbsElementRanges(tbs);
  return {
    der,
    tbs,
    serial,
    signatureAlgorithm: outerAlg,
    issuerDer: ranges[i + 2]!,
    subjectDer: ranges[i + 4]!,
    notBefore,
    notAfter,
    spki: ranges[i + 5]!,
    extensions,
    signature: readBitStringBytes(sigNode, 'signature'),
  };
}

export function publicKeyOf(cert: ParsedCertificate): KeyObject {
  return createPublicKey({ key: cert.spki, format: 'der', type: 'spki' });
}

/** True when `cert` carries a valid signature by `issuerKey` with an allowed algorithm. */
export function isSignedBy(cert: ParsedCertificate, issuerKey: KeyObject): boolean {
  const alg = signatureAlgorithmByOid(cert.signatureAlgorithm);
  return alg !== undefined && verifyBytes(alg, cert.tbs, cert.signature, issuerKey);
}
