import type { Role } from '../roles.js';
import type { RevocationReason } from '../revoke/reasons.js';
import { Journal, readLine, type LinePosition } from './journal.js';
import { parseIssuanceRecord, type IssuanceRecord, type IssuedRecord, type IssuedVia, type RevokedRecord } from './records.js';

/** One certificate the CA has issued, with its revocation if any. */
export interface CertificateEntry {
  serial: string;
  ca: string;
  nodeId: string | null;
  role: Role | null;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  via: IssuedVia;
  issuedAt: Date;
  issuedBy: string;
  revocation?: { at: Date; reason: RevocationReason; by: string };
}

/** In memory: the entry and where its record is; the certificate itself stays on disk. */
interface Indexed {
  entry: CertificateEntry;
  at: LinePosition;
}

/**
 * active: valid now and the newest for its node; superseded: valid but a newer one
 * exists (renewal leaves the old one to expire); expired; revoked; pending: not yet valid.
 */
export type CertificateStatus = 'active' | 'superseded' | 'expired' | 'revoked' | 'pending';

/** Every certificate issued, from the issuance journal, indexed by serial and by node. */
export class IssuanceStore {
  private readonly bySerial = new Map<string, Indexed>();
  private readonly byNode = new Map<string, CertificateEntry[]>();
  private readonly journal: Journal<IssuanceRecord>;

  constructor(readonly path: string) {
    this.journal = new Journal(
      path,
      parseIssuanceRecord(path),
      (r, at) => this.apply(r, at),
      () => {
        this.bySerial.clear();
        this.byNode.clear();
      },
    );
    this.journal.load();
  }

  private apply(r: IssuanceRecord, at: LinePosition): void {
    if (r.kind === 'issued') {
      if (this.bySerial.has(r.serial)) throw new Error(`${this.path}: serial ${r.serial} issued twice`);
      const entry: CertificateEntry = {
        serial: r.serial,
        ca: r.ca,
        nodeId: r.nodeId,
        role: r.role,
        subject: r.subject,
        notBefore: new Date(r.notBefore),
        notAfter: new Date(r.notAfter),
        via: r.via,
        issuedAt: new Date(r.at),
        issuedBy: r.by,
      };
      this.bySerial.set(r.serial, { entry, at });
      if (r.nodeId !== null) {
        const list = this.byNode.get(r.nodeId);
        if (list) list.push(entry);
        else this.byNode.set(r.nodeId, [entry]);
      }
    } else {
      const indexed = this.bySerial.get(r.serial);
      if (!indexed) throw new Error(`${this.path}: revocation of unknown serial ${r.serial}`);
      indexed.entry.revocation ??= { at: new Date(r.at), reason: r.reason, by: r.by };
    }
  }

  /** Picks up what other processes recorded; call under the CA lock before deciding anything. */
  refresh(): void {
    this.journal.refresh();
  }

  /** Durably records a batch (one write, one fsync). */
  append(records: readonly (IssuedRecord | RevokedRecord)[]): void {
    this.journal.append(records);
  }

  tornBytes(): number {
    return this.journal.tornBytes();
  }

  get(serial: string): CertificateEntry | undefined {
    return this.bySerial.get(serial.toUpperCase())?.entry;
  }

  /** The certificate (DER), read back from the journal: a year of renewals would not fit comfortably in memory. */
  certificate(serial: string): Buffer | undefined {
    const indexed = this.bySerial.get(serial.toUpperCase());
    if (!indexed) return undefined;
    const record = readLine(this.path, indexed.at) as IssuedRecord;
    if (record.kind !== 'issued' || record.serial !== indexed.entry.serial) throw new Error(`${this.path}: the record of ${serial} moved; reopen the store`);
    return Buffer.from(record.cert, 'base64');
  }

  forNode(nodeId: string): readonly CertificateEntry[] {
    return this.byNode.get(nodeId) ?? [];
  }

  *all(): IterableIterator<CertificateEntry> {
    for (const { entry } of this.bySerial.values()) yield entry;
  }

  get size(): number {
    return this.bySerial.size;
  }

  statusOf(entry: CertificateEntry, now: Date): CertificateStatus {
    if (entry.revocation) return 'revoked';
    if (entry.notAfter <= now) return 'expired';
    if (entry.notBefore > now) return 'pending';
    if (entry.nodeId !== null) {
      const newer = this.forNode(entry.nodeId).some(
        (e) => e !== entry && !e.revocation && e.notBefore <= now && e.notAfter > now && e.issuedAt > entry.issuedAt,
      );
      if (newer) return 'superseded';
    }
    return 'active';
  }

  /** Revoked certificates of one CA that have not expired: what its CRL must list. */
  revokedUnexpired(ca: string, now: Date): CertificateEntry[] {
    const out: CertificateEntry[] = [];
    for (const { entry: e } of this.bySerial.values()) if (e.ca === ca && e.revocation && e.notAfter > now) out.push(e);
    return out.sort((a, b) => a.revocation!.at.getTime() - b.revocation!.at.getTime() || a.serial.localeCompare(b.serial));
  }
}
