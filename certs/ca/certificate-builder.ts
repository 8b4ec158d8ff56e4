import { algorithmIdentifier, signBytes, type Signer } from '../x509/algorithms.js';
import { bitString, encode, explicit, preEncoded, sequence, sequenceOfEncoded, smallInteger, time, unsignedInteger, type Asn1 } from '../x509/der.js';

/** What goes into a certificate; the profile (extensions) is chosen by the caller. */
export interface CertificateContent {
  serial: Buffer;
  issuerName: Asn1;
  subjectName: Asn1;
  /** SubjectPublicKeyInfo DER, copied verbatim from the CSR or the key. */
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Asn1[];
}

/**
 * Lays out the TBSCertificate with forge's ASN.1 objects and signs its DER with
 * native crypto. forge's own certificate API is RSA-only and signs with SHA-1 when
 * no digest is given, so it is not used for either.
 */
export function buildCertificate(content: CertificateContent, signer: Signer): Buffer {
  if (content.notAfter <= content.notBefore) throw new Error('certificate would expire before it starts');
  const algorithm = algorithmIdentifier(signer.algorithm);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(content.serial),
    algorithm,
    content.issuerName,
    sequence(time(content.notBefore), time(content.notAfter)),
    content.subjectName,
    preEncoded(content.spki, 'SubjectPublicKeyInfo'),
    explicit(3, sequence(...content.extensions)),
  );
  const tbsDer = encode(tbs);
  const signature = signBytes(signer, tbsDer);
  return sequenceOfEncoded([tbsDer, encode(algorithm), encode(bitString(signature))]);
}
