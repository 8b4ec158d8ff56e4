import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { signerFor, type Signer } from '../x509/algorithms.js';
import { parseCertificate, type ParsedCertificate } from '../x509/certificate.js';
import { preEncoded, type Asn1 } from '../x509/der.js';
import { decodeSubjectKeyIdentifier } from '../x509/extensions.js';
import { OID } from '../x509/oid.js';
import { toPem } from '../x509/pem.js';
import { buildCertificate, type CertificateContent } from './certificate-builder.js';

/** A CA certificate with its unlocked private key: the thing that signs. */
export class CertificateAuthority {
  readonly cert: ParsedCertificate;
  readonly certPem: string;
  /** The CA's subject, decoded once and reused as the issuer of everything it signs. */
  readonly subjectName: Asn1;
  readonly keyId: Buffer;
  readonly signer: Signer;

  constructor(
    readonly name: string,
    certDer: Buffer,
    key: KeyObject,
    /** Where relying parties fetch this CA's CRL (its certificates' CRL distribution point). */
    readonly crlUrl: string,
  ) {
    this.cert = parseCertificate(certDer);
    const publicSpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    if (!publicSpki.equals(this.cert.spki)) throw new Error(`CA ${name}: the private key does not belong to the certificate`);
    const ski = this.cert.extensions.get(OID.subjectKeyIdentifier);
    if (!ski) throw new Error(`CA ${name}: certificate has no subject key identifier`);
    this.keyId = decodeSubjectKeyIdentifier(ski.value);
    this.subjectName = preEncoded(this.cert.subjectDer, 'CA subject');
    this.certPem = toPem('CERTIFICATE', certDer);
    this.signer = signerFor(key);
  }

  get notAfter(): Date {
    return this.cert.notAfter;
  }

  /** Signs a certificate with this CA as issuer. notAfter never outlives the CA's own. */
  sign(content: Omit<CertificateContent, 'issuerName'>): Buffer {
    const notAfter = content.notAfter > this.cert.notAfter ? this.cert.notAfter : content.notAfter;
    return buildCertificate({ ...content, notAfter, issuerName: this.subjectName }, this.signer);
  }

  x509(): X509Certificate {
    return new X509Certificate(this.cert.der);
  }
}
