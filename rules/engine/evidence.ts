/**
 * Evidence: where the records an alert rests on are in Elasticsearch. A connection
 * record's document id is `${sensorId}:${seq}:${position}` in the daily conn index of
 * its start time, exactly as the collector's indexer writes it; the console pivots
 * there. Inside windowed state a record is a "member": its index and id (and which
 * transaction of it, for DNS/HTTP) in one string, unique per counted event.
 */
import type { EvidenceRef } from '../alert.js';
import { dailyIndex } from '../../common/index-names.js';
import type { RecordKind } from '../records.js';
import { nsToMs } from '../util.js';
import type { Hit } from './matcher.js';

export type EvidenceIndex = (kind: 'conn' | 'health' | 'enforcer', timeMs: number) => string;

export function defaultEvidenceIndex(esPrefix: string): EvidenceIndex {
  return (kind, timeMs) => dailyIndex(esPrefix, kind, timeMs);
}

export function evidenceOf(h: Hit, index: EvidenceIndex): EvidenceRef {
  if (h.health) return { index: index('health', h.health.tsMs), id: `health:${h.health.sensorId}:${h.health.tsMs}` };
  if (h.enforcer) return { index: index('enforcer', h.enforcer.ts * 1000), id: `${h.sensorId}:${h.seq}:${h.position}` };
  return { index: index('conn', h.conn!.tsSec * 1000), id: `${h.sensorId}:${h.seq}:${h.position}` };
}

/** The member string of a hit: unique per counted event (a record, or one transaction of it). */
export function memberOf(ref: EvidenceRef, h: Hit): string {
  const sub = h.kind === 'dns' || h.kind === 'http' ? `#${h.kind}${h.sub}` : '';
  return `${ref.index}/${ref.id}${sub}`;
}

/** Index names never contain '/', so the first one separates index from id. */
export function refOfMember(member: string): EvidenceRef {
  const slash = member.indexOf('/');
  const hash = member.lastIndexOf('#');
  const id = member.slice(slash + 1, hash > slash ? hash : undefined);
  return { index: member.slice(0, slash), id };
}

/**
 * The time of the event a hit stands for, ms since the epoch: a connection's last packet
 * (when it was known as it is), a transaction's own time, an observation's time.
 */
export function eventTimeMs(h: Hit): number {
  const c = h.conn;
  switch (h.kind as RecordKind) {
    case 'health':
      return h.health!.tsMs;
    case 'enforcer':
      return h.enforcer!.ts * 1000 + (h.enforcer!.durationMs ?? 0);
    case 'dns': {
      const t = nsToMs(c!.app?.dns?.[h.sub]?.tsNs);
      return Number.isFinite(t) ? t : c!.tsSec * 1000 + c!.tsNsec / 1e6;
    }
    case 'http': {
      const t = nsToMs(c!.app?.http?.[h.sub]?.tsNs);
      return Number.isFinite(t) ? t : c!.tsSec * 1000 + c!.tsNsec / 1e6;
    }
    case 'tls': {
      const t = nsToMs(c!.app?.tls?.tsNs);
      return Number.isFinite(t) ? t : c!.tsSec * 1000 + c!.tsNsec / 1e6;
    }
    case 'ssh': {
      const t = nsToMs(c!.app?.ssh?.tsNs);
      return Number.isFinite(t) ? t : c!.tsSec * 1000 + c!.tsNsec / 1e6;
    }
    default:
      return c!.tsSec * 1000 + c!.tsNsec / 1e6 + c!.durationNs / 1e6;
  }
}
