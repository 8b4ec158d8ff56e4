import { algorithmIdentifier, signBytes, signatureAlgorithmByOid, verifyBytes, type Signer } from '../x509/algorithms.js';
import {
  bitString,
  children,
  decode,
  DerError,
  encode,
  expectSequence,
  explicit,
  isContext,
  primitive,
  readBitStringBytes,
  readOid,
  readTime,
  readTlv,
  readUnsignedHex,
  sequence,
  sequenceOfEncoded,
  signedParts,
  smallInteger,
  Tag,
  time,
  unsignedInteger,
  type Asn1,
} from '../x509/der.js';
import { authorityKeyIdentifier, decodeAuthorityKeyIdentifier, extension, readExtensions } from '../x509/extensions.js';
import { OID } from '../x509/oid.js';
import forge from 'node-forge';
import type { KeyObject } from 'node:crypto';
import { reasonCode, reasonFromCode, type RevocationReason } from './reasons.js';

/**
 * X.509 v2 CRLs (RFC 5280 section 5). forge has no CRL support, so the TBSCertList is
 * laid out here with its ASN.1 objects and signed with native crypto.
 */
export interface CrlEntry {
  /** Uppercase hex. */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlContent {
  issuerName: Asn1;
  issuerKeyId: Buffer;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntry[];
}

const enumerated = (n: number): Asn1 => forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.ENUMERATED, false, String.fromCharCode(n));

function entryAsn1(e: CrlEntry): Asn1 {
  const serial = Buffer.from(e.serial.length % 2 ? '0' + e.serial : e.serial, 'hex');
  // RFC 5280 5.3.1: reasonCode "unspecified" SHOULD be left out.
  const exts = e.reason === 'unspecified' ? undefined : sequence(extension(OID.cRLReason, false, enumerated(reasonCode(e.reason))));
  return sequence(unsignedInteger(serial), time(e.revokedAt), exts);
}

export function buildCrl(content: CrlContent, signer: Signer): Buffer {
  if (content.nextUpdate <= content.thisUpdate) throw new Error('CRL nextUpdate must be after thisUpdate');
  const algorithm = algorithmIdentifier(signer.algorithm);
  const tbs = sequence(
    smallInteger(1), // v2
    algorithm,
    content.issuerName,
    time(content.thisUpdate),
    time(content.nextUpdate),
    // An empty revokedCertificates is left out rather than encoded empty (5.1.2.6).
    content.entries.length ? sequence(...content.entries.map(entryAsn1)) : undefined,
    explicit(0, sequence(authorityKeyIdentifier(content.issuerKeyId), extension(OID.cRLNumber, false, smallInteger(content.number)))),
  );
  const tbsDer = encode(tbs);
  return sequenceOfEncoded([tbsDer, encode(algorithm), encode(bitString(signBytes(signer, tbsDer)))]);
}

export interface ParsedCrl {
  der: Buffer;
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  number?: number;
  authorityKeyId?: Buffer;
  /** Revoked serials (uppercase hex) with date and reason. */
  revoked: Map<string, { at: Date; reason: RevocationReason }>;
}

export function parseCrl(input: Uint8Array): ParsedCrl {
  const der = Buffer.from(input);
  const [tbsNode, algNode, sigNode] = expectSequence(decode(der, 'CRL'), 'CRL', 3);
  const parts = expectSequence(tbsNode, 'TBSCertList', 5);
  if (parts[0]?.type !== Tag.INTEGER || primitive(parts[0], Tag.INTEGER, 'CRL version') !== '\x01') throw new DerError('CRL: only v2 CRLs are supported');
  const { toBeSigned } = signedParts(der, 'CRL');
  const outer = readTlv(toBeSigned, 0, 'TBSCertList');
  const version = readTlv(toBeSigned, outer.contentStart, 'CRL version');
  const alg = readTlv(toBeSigned, version.end, 'CRL signature');
  const issuer = readTlv(toBeSigned, alg.end, 'CRL issuer');

  const thisUpdate = readTime(parts[3], 'CRL thisUpdate');
  // nextUpdate is optional in the ASN.1 but required by RFC 5280 profiles, and Chốt needs it to warn before staleness.
  const nextUpdate = readTime(parts[4], 'CRL nextUpdate');
  const revoked = new Map<string, { at: Date; reason: RevocationReason }>();
  let number: number | undefined;
  let authorityKeyId: Buffer | undefined;
  for (const part of parts.slice(5)) {
    if (part.type === Tag.SEQUENCE && part.tagClass === 0) {
      for (const entry of expectSequence(part, 'CRL entries')) {
        const [serialNode, dateNode, extsNode] = expectSequence(entry, 'CRL entry', 2);
        let reason: RevocationReason = 'unspecified';
        if (extsNode) {
          const reasonExt = readExtensions(extsNode, 'CRL entry').get(OID.cRLReason);
          if (reasonExt) {
            const v = primitive(decode(reasonExt.value, 'reasonCode'), Tag.ENUMERATED, 'reasonCode');
            reason = reasonFromCode(v.charCodeAt(0)) ?? 'unspecified';
          }
        }
        revoked.set(readUnsignedHex(serialNode, 'CRL entry serial'), { at: readTime(dateNode, 'CRL entry date'), reason });
      }
    } else if (isContext(part, 0)) {
      const exts = readExtensions(children(part, 'crlExtensions')[0]!, 'CRL');
      const num = exts.get(OID.cRLNumber);
      if (num) number = Number.parseInt(readUnsignedHex(decode(num.value, 'cRLNumber'), 'cRLNumber'), 16);
      const aki = exts.get(OID.authorityKeyIdentifier);
      if (aki) authorityKeyId = decodeAuthorityKeyIdentifier(aki.value);
    }
  }
  return {
    der,
    tbs: toBeSigned,
    signatureAlgorithm: readOid(expectSequence(algNode, 'CRL signatureAlgorithm', 1)[0], 'CRL signature algorithm'),
    signature: readBitStringBytes(sigNode, 'CRL signature'),
    issuerDer: toBeSigned.subarray(issuer.start, issuer.end),
    thisUpdate,
    nextUpdate,
    ...(number !== undefined ? { number } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    revoked,
  };
}

export function isCrlSignedBy(crl: ParsedCrl, issuerKey: KeyObject): boolean {
  const alg = signatureAlgorithmByOid(crl.signatureAlgorithm);
  return alg !== undefined && verifyBytes(alg, crl.tbs, crl.signature, issuerKey);
}
