import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/**
 * The CA's audit trail: who did what, when, one JSON line per event, fsynced before
 * the operation is reported done. Each line carries the SHA-256 of the line before
 * it (`prev`), so deleting or editing a line breaks the chain where it happened.
 * Secrets (tokens, passphrases, keys) never appear here; a token is named by its id.
 */
export type AuditAction =
  | 'ca.init'
  | 'ca.add-issuing'
  | 'cert.issue'
  | 'cert.renew'
  | 'cert.revoke'
  | 'crl.publish'
  | 'token.mint'
  | 'token.use'
  | 'enroll.refuse'
  | 'renew.refuse';

export interface AuditEvent {
  action: AuditAction;
  /** Who: "cli:alice@host", "enroll:<token id>@10.0.0.5", "node:01/001@10.0.0.5". */
  actor: string;
  [detail: string]: unknown;
}

export interface AuditEntry extends AuditEvent {
  seq: number;
  at: string;
  prev: string;
}

const GENESIS = '0'.repeat(64);
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export class AuditLog {
  constructor(readonly path: string) {}

  /**
   * Appends events durably, chained to the last complete line. The caller holds the
   * CA lock, so the tail it reads is the real one; a torn last line is cut off.
   */
  append(events: readonly AuditEvent[], now = new Date()): void {
    if (events.length === 0) return;
    const fd = openSync(this.path, 'a+', 0o600);
    try {
      const { size, lastLine, completeSize } = readTail(fd);
      if (completeSize < size) ftruncateSync(fd, completeSize);
      let prev = lastLine === undefined ? GENESIS : sha256(lastLine);
      let seq = lastLine === undefined ? 0 : (JSON.parse(lastLine) as AuditEntry).seq;
      const lines: string[] = [];
      for (const e of events) {
        const line = JSON.stringify({ seq: ++seq, at: now.toISOString(), ...e, prev });
        lines.push(line);
        prev = sha256(line);
      }
      const data = Buffer.from(lines.join('\n') + '\n');
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Reads and checks the whole chain; `brokenAt` is the first line that does not follow. */
  verify(): { entries: AuditEntry[]; brokenAt?: number; problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
      throw err;
    }
    const lines = text.split('\n');
    lines.pop(); // the part after the last newline: empty, or a torn line
    const entries: AuditEntry[] = [];
    let prev = GENESIS;
    for (let i = 0; i < lines.length; i++) {
      let entry: AuditEntry;
      try {
        entry = JSON.parse(lines[i]!) as AuditEntry;
      } catch {
        return { entries, brokenAt: i + 1, problem: 'not JSON' };
      }
      if (entry.prev !== prev) return { entries, brokenAt: i + 1, problem: 'does not follow the line before it (edited, removed or inserted lines)' };
      if (entry.seq !== i + 1) return { entries, brokenAt: i + 1, problem: `sequence ${entry.seq}, expected ${i + 1}` };
      entries.push(entry);
      prev = sha256(lines[i]!);
    }
    return { entries };
  }
}

/** The last complete line of an open file, found by reading backwards in chunks. */
function readTail(fd: number): { size: number; completeSize: number; lastLine?: string } {
  const size = fstatSync(fd).size;
  if (size === 0) return { size, completeSize: 0 };
  let chunk = Buffer.alloc(0);
  let start = size;
  while (start > 0) {
    const len = Math.min(start, 64 * 1024);
    start -= len;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, start);
    chunk = Buffer.concat([buf, chunk]);
    const lastNl = chunk.lastIndexOf(0x0a);
    if (lastNl < 0) continue;
    const prevNl = chunk.lastIndexOf(0x0a, lastNl - 1);
    if (prevNl >= 0 || start === 0) {
      return { size, completeSize: start + lastNl + 1, lastLine: chunk.toString('utf8', prevNl + 1, lastNl) };
    }
  }
  return { size, completeSize: 0 };
}
