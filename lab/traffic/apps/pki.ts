import type { Prng } from '../prng.js';
import { INTERNAL_ZONE } from '../addresses.js';
import { type DistinguishedName, buildCertificate, formatName } from './x509.js';
import { sequence, set, oid, printableString, utf8String } from './der.js';

const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  der: Buffer;
  subject: string;
  issuer: string;
}

/**
 * The sector's certificate hierarchy as the traffic shows it: one issuing CA that signs
 * the servers' and the clients' certificates. Each certificate is made once, on first
 * use, and reused by every later handshake of that host, as a real host would.
 */
export class LabPki {
  static readonly ISSUER: DistinguishedName = { country: 'VN', organization: 'Chot Lab', commonName: 'Chot Lab Issuing CA 1' };
  private static readonly ROOT: DistinguishedName = { country: 'VN', organization: 'Chot Lab', commonName: 'Chot Lab Root CA' };

  readonly issuingCa: IssuedCertificate;
  private readonly servers = new Map<string, IssuedCertificate>();
  private readonly clients = new Map<string, IssuedCertificate>();
  private readonly notBefore: Date;
  private readonly notAfter: Date;

  constructor(
    private readonly rng: Prng,
    captureStart: Date,
  ) {
    this.notBefore = new Date(captureStart.getTime() - 30 * DAY_MS);
    this.notAfter = new Date(captureStart.getTime() + 335 * DAY_MS);
    this.issuingCa = this.issue(LabPki.ISSUER, LabPki.ROOT, 'ca', []);
  }

  server(hostname: string): IssuedCertificate {
    let c = this.servers.get(hostname);
    if (!c) {
      c = this.issue({ country: 'VN', organization: 'Chot Lab', commonName: hostname }, LabPki.ISSUER, 'server', [hostname]);
      this.servers.set(hostname, c);
    }
    return c;
  }

  /** A client certificate named after the host, as the sector's enrollment issues them. */
  client(addr: string): IssuedCertificate {
    let c = this.clients.get(addr);
    if (!c) {
      const cn = `client-${addr.replace(/[.:]/g, '-')}.clients.${INTERNAL_ZONE}`;
      c = this.issue({ country: 'VN', organization: 'Chot Lab', organizationalUnit: 'Commune clients', commonName: cn }, LabPki.ISSUER, 'client', []);
      this.clients.set(addr, c);
    }
    return c;
  }

  /** The issuing CA's name in DER, as a CertificateRequest lists acceptable CAs. */
  issuerNameDer(): Buffer {
    const dn = LabPki.ISSUER;
    return sequence(
      set(sequence(oid('2.5.4.6'), printableString(dn.country ?? ''))),
      set(sequence(oid('2.5.4.10'), utf8String(dn.organization ?? ''))),
      set(sequence(oid('2.5.4.3'), utf8String(dn.commonName))),
    );
  }

  private issue(subject: DistinguishedName, issuer: DistinguishedName, usage: 'server' | 'client' | 'ca', dnsNames: string[]): IssuedCertificate {
    const der = buildCertificate(this.rng, { subject, issuer, notBefore: this.notBefore, notAfter: this.notAfter, dnsNames, usage });
    return { der, subject: formatName(subject), issuer: formatName(issuer) };
  }
}
