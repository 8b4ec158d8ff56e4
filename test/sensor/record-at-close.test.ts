import { describe, expect, it } from 'vitest';
import type { AppAnalyzer } from '../../sensor/app/analyzer.js';
import { Pipeline } from '../../sensor/pipeline.js';
import type { ConnRecord } from '../../sensor/record.js';
import { TcpTalk, type Frame } from './support/frames.js';
import { runFrames } from './support/run.js';

/**
 * Feeds frames one by one and notes, after each, how many final records were written
 * (without ending the input): when a record appears is what recordAt 'close' changes.
 */
function feed(frames: Frame[], recordAt: 'close' | 'close-delay') {
  const records: ConnRecord[] = [];
  const pipeline = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], flows: { uidSeed: 7, recordAt } });
  const afterEach: number[] = [];
  for (const f of frames) {
    const [sec, nsec] = timeOf(f);
    pipeline.packet(f.data, 0, f.data.length, f.data.length, sec, nsec, 1);
    afterEach.push(records.filter((r) => !r.interim).length);
  }
  const atEnd = records.length;
  pipeline.finish();
  return { records, finals: records.filter((r) => !r.interim), afterEach, atEnd, stats: pipeline.table.stats };
}

function timeOf(f: Frame): [number, number] {
  if (Array.isArray(f.ts)) return [f.ts[0], f.ts[1]];
  const sec = Math.floor(f.ts);
  return [sec, Math.round((f.ts - sec) * 1e9)];
}

const handshake = (t: TcpTalk): TcpTalk => t.c('S').s('SA').c('A');
const comparable = (r: ConnRecord) => ({ ...r, uid: undefined });

describe("flow records written when a TCP close completes (recordAt 'close')", () => {
  it('gives the analyzer nothing after its final metadata call (a native one is closed by it)', () => {
    const after: string[] = [];
    let ended = false;
    const analyzer: AppAnalyzer = {
      service: 'test',
      done: false,
      deliver: () => void (ended && after.push('deliver')),
      gap: () => void (ended && after.push('gap')),
      metadata: (final) => void (final && (ended = true)) as undefined,
    };
    const t = handshake(new TcpTalk()).c('PA', 10).s('PA', 20).c('R');
    t.s('PA', 30).s('PA', 40); // (the peer's data after the reset: stragglers, counted, not analyzed)
    const records: ConnRecord[] = [];
    const pipeline = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: () => analyzer, flows: { uidSeed: 7, recordAt: 'close' } });
    for (const f of t.frames) {
      const [sec, nsec] = timeOf(f);
      pipeline.packet(f.data, 0, f.data.length, f.data.length, sec, nsec, 1);
    }
    pipeline.finish();
    expect(ended).toBe(true);
    expect(records.filter((r) => !r.interim)).toHaveLength(1);
    expect(after).toEqual([]);
    expect(pipeline.table.stats.afterRecord).toBeGreaterThan(0);
  });

  it('writes the record at the ACK of the last FIN, identical to the one written after the close delay', () => {
    const t = handshake(new TcpTalk()).c('PA', 10).s('PA', 20).c('FA').s('FA');
    const beforeLastAck = t.frames.length;
    t.c('A');
    const early = feed(t.frames, 'close');
    expect(early.afterEach[beforeLastAck - 1]).toBe(0); // both FINs out, the last not yet acknowledged
    expect(early.afterEach[beforeLastAck]).toBe(1);
    const late = feed(t.frames, 'close-delay');
    expect(late.atEnd).toBe(0);
    expect(early.finals.map(comparable)).toEqual(late.finals.map(comparable));
    expect(early.finals[0]).toMatchObject({ connState: 'SF', history: 'ShADdFf', origPkts: 5, respPkts: 3 });
  });

  it('waits for both acknowledgments when both sides close at once', () => {
    const t = handshake(new TcpTalk()).c('PA', 10);
    // The FINs cross: neither acknowledges the other's yet.
    const cseq = t.client.seq;
    t.c('FA').s('FA', 0, { ack: cseq });
    const crossed = t.frames.length;
    t.c('A');
    t.s('A');
    const r = feed(t.frames, 'close');
    expect(r.afterEach.slice(crossed - 1)).toEqual([0, 0, 1]);
    expect(r.finals).toHaveLength(1);
    expect(r.finals[0]).toMatchObject({ origPkts: 5, respPkts: 3 });
  });

  it('writes the record at a RST, and a REJ at once', () => {
    const rsto = feed(handshake(new TcpTalk()).c('PA', 5).c('R').frames, 'close');
    expect(rsto.afterEach.at(-1)).toBe(1);
    expect(rsto.finals[0]!.connState).toBe('RSTO');
    const rej = feed(new TcpTalk().c('S').s('RA').frames, 'close');
    expect(rej.afterEach).toEqual([0, 1]);
    expect(rej.finals[0]!.connState).toBe('REJ');
  });

  it('keeps the connection for the close delay: stragglers are counted, never a second record or a new connection', () => {
    const t = handshake(new TcpTalk()).c('PA', 10).s('PA', 20).c('FA').s('FA').c('A');
    // A retransmitted FIN and its ACK, a second later.
    t.s('FA', 0, { seq: t.server.seq - 1, dt: 1 }).c('A');
    const r = feed(t.frames, 'close');
    expect(r.finals).toHaveLength(1);
    expect(r.records).toHaveLength(1);
    expect(r.stats.afterRecord).toBe(2);
    expect(r.finals[0]).toMatchObject({ origPkts: 5, respPkts: 3 });
  });

  it('still waits out the close delay where the close never completes (a FIN to a silent responder)', () => {
    const t = new TcpTalk().c('S').c('F');
    const r = feed(t.frames, 'close');
    expect(r.atEnd).toBe(0);
    expect(r.finals.map((x) => x.connState)).toEqual(['SH']);
    // Time passing beyond the close delay ends it by the timer, as before.
    const later = new TcpTalk({ cport: 40001, t0: 1_700_000_010 }).c('S');
    const both = feed([...t.frames, ...later.frames], 'close');
    expect(both.atEnd).toBe(1);
    expect(both.finals[0]!.connState).toBe('SH');
  });

  it('a SYN reusing the ports after the record starts a new connection; the old one is not written again', () => {
    const t = handshake(new TcpTalk()).c('PA', 10).s('PA', 20).c('FA').s('FA').c('A');
    t.client.seq += 100_000;
    t.client.seq >>>= 0;
    t.step = 0.5;
    handshake(t).c('R');
    const r = feed(t.frames, 'close');
    expect(r.finals.map((x) => x.connState)).toEqual(['SF', 'RSTO']);
    expect(new Set(r.finals.map((x) => x.uid)).size).toBe(2);
  });

  it("matches the records of 'close-delay' on a whole capture without stragglers", () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 50; i++) {
      const t = handshake(new TcpTalk({ cport: 41000 + i, t0: 1_700_000_000 + i * 0.1 }));
      if (i % 3 === 0) t.c('PA', 100 + i).s('PA', 200).c('FA').s('FA').c('A');
      else if (i % 3 === 1) t.c('PA', 7).s('R');
      else t.c('PA', 50).s('FA').c('FA').s('A');
      frames.push(...t.frames);
    }
    frames.sort((a, b) => timeOf(a)[0] - timeOf(b)[0] || timeOf(a)[1] - timeOf(b)[1]);
    const byStart = (rs: ConnRecord[]) => rs.map(comparable).sort((a, b) => a.origP - b.origP);
    const early = runFrames(frames, { flows: { recordAt: 'close' } });
    const late = runFrames(frames, { flows: { recordAt: 'close-delay' } });
    expect(early.finals).toHaveLength(50);
    expect(byStart(early.finals)).toEqual(byStart(late.finals));
  });
});
