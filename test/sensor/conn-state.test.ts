import { describe, expect, it } from 'vitest';
import { only, runFrames } from './support/run.js';
import { TcpTalk } from './support/frames.js';

/** A clean three-way handshake. */
function handshake(t: TcpTalk): TcpTalk {
  return t.c('S').s('SA').c('A');
}

describe("conn_state: each of Zeek's 13 values", () => {
  it('S0: a SYN nobody answers', () => {
    const r = only(runFrames(new TcpTalk().c('S').frames));
    expect([r.connState, r.history, r.origPkts, r.respPkts]).toEqual(['S0', 'S', 1, 0]);
  });

  it('S1: established, never closed', () => {
    const r = only(runFrames(handshake(new TcpTalk()).c('PA', 100).s('PA', 300).frames));
    expect([r.connState, r.history, r.origBytes, r.respBytes]).toEqual(['S1', 'ShADd', 100, 300]);
  });

  it('SF: normal establishment and termination', () => {
    const t = handshake(new TcpTalk()).c('PA', 10).s('PA', 20).c('FA').s('FA').c('A');
    const r = only(runFrames(t.frames));
    expect([r.connState, r.history, r.origBytes, r.respBytes, r.origPkts, r.respPkts]).toEqual(['SF', 'ShADdFf', 10, 20, 5, 3]);
  });

  it('REJ: the SYN is answered by a RST', () => {
    const r = only(runFrames(new TcpTalk().c('S').s('RA').frames));
    expect([r.connState, r.history]).toEqual(['REJ', 'Sr']);
  });

  it('S2: established, the originator closed, nothing from the responder after', () => {
    const r = only(runFrames(handshake(new TcpTalk()).c('FA').frames));
    expect([r.connState, r.history]).toEqual(['S2', 'ShAF']);
  });

  it('S3: established, the responder closed', () => {
    const r = only(runFrames(handshake(new TcpTalk()).s('FA').frames));
    expect([r.connState, r.history]).toEqual(['S3', 'ShAf']);
  });

  it('RSTO: established, the originator aborted', () => {
    const r = only(runFrames(handshake(new TcpTalk()).c('PA', 5).c('R').frames));
    expect([r.connState, r.history]).toEqual(['RSTO', 'ShADR']);
  });

  it('RSTR: established, the responder aborted', () => {
    const r = only(runFrames(handshake(new TcpTalk()).c('PA', 5).s('R').frames));
    expect([r.connState, r.history]).toEqual(['RSTR', 'ShADr']);
  });

  it('RSTOS0: the originator sent a SYN then a RST, no SYN-ACK', () => {
    const r = only(runFrames(new TcpTalk().c('S').c('R').frames));
    expect([r.connState, r.history]).toEqual(['RSTOS0', 'SR']);
  });

  it('RSTRH: the responder sent a SYN-ACK then a RST, the SYN unseen', () => {
    const t = new TcpTalk({ sport: 443 });
    t.client.seq += 1; // the SYN went by unseen
    const r = only(runFrames(t.s('SA').s('R').frames));
    expect([r.connState, r.history, r.origH, r.respP]).toEqual(['RSTRH', '^hr', '10.0.0.1', 443]);
  });

  it('SH: the originator sent a SYN then a FIN, nothing back', () => {
    const r = only(runFrames(new TcpTalk().c('S').c('F').frames));
    expect([r.connState, r.history]).toEqual(['SH', 'SF']);
  });

  it('SHR: the responder sent a SYN-ACK then a FIN, the SYN unseen', () => {
    const t = new TcpTalk({ sport: 443 });
    t.client.seq += 1;
    const r = only(runFrames(t.s('SA').s('FA').frames));
    expect([r.connState, r.history]).toEqual(['SHR', '^hf']);
  });

  it('OTH: midstream traffic, no SYN on either side', () => {
    const t = new TcpTalk({ sport: 8765, cport: 40001 });
    const r = only(runFrames(t.c('PA', 50).s('PA', 60).c('A').frames));
    expect([r.connState, r.history, r.origBytes, r.respBytes]).toEqual(['OTH', 'DdA', 50, 60]);
  });

  it('UDP: SF when both sides spoke, S0 when only the originator, SHR when only the responder', async () => {
    const { udpDatagram, ipv4, ether, bytes } = await import('./support/frames.js');
    const f = (src: string, dst: string, sp: number, dp: number, n: number, ts: number) => ({ ts, data: ether(ipv4(src, dst, 17, udpDatagram(sp, dp, bytes(n)))) });
    const both = only(runFrames([f('10.0.0.1', '10.0.0.2', 5000, 6000, 10, 1e9), f('10.0.0.2', '10.0.0.1', 6000, 5000, 20, 1e9 + 1)]));
    expect([both.connState, both.history, both.origBytes, both.respBytes, both.origIpBytes]).toEqual(['SF', 'Dd', 10, 20, 38]);
    const one = only(runFrames([f('10.0.0.1', '10.0.0.2', 5000, 6000, 10, 1e9)]));
    expect([one.connState, one.history]).toEqual(['S0', 'D']);
    // From a likely server port to an ephemeral one: Zeek flips, so the responder spoke alone.
    const shr = only(runFrames([f('10.0.0.2', '10.0.0.1', 53, 40000, 10, 1e9)]));
    expect([shr.connState, shr.history, shr.origH, shr.respP]).toEqual(['SHR', '^d', '10.0.0.1', 53]);
  });
});

describe('history letters', () => {
  it('flips when the first packet seen is a SYN-ACK from a server port', () => {
    const t = new TcpTalk({ sport: 443 });
    t.client.seq += 1;
    const r = only(runFrames(t.s('SA').c('A').c('PA', 20).s('PA', 30).c('FA').s('FA').c('A').frames));
    expect([r.origH, r.origP, r.respH, r.respP]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 443]);
    expect([r.connState, r.history, r.origBytes, r.respBytes]).toEqual(['SF', '^hADdFf', 20, 30]);
  });

  it('flips when the SYN-ACK arrives before its SYN (between two ephemeral ports)', () => {
    const t = new TcpTalk({ sport: 41000, cport: 42000 });
    const syn = t.c('S').frames.pop()!;
    t.s('SA');
    t.frames.push({ ...syn, ts: (t.t += 0.001) });
    const r = only(runFrames(t.c('A').c('PA', 5).s('A').frames));
    expect([r.origP, r.respP, r.connState]).toEqual([42000, 41000, 'S1']);
    expect(r.history).toBe('Hs^ADa');
  });

  it('missing SYN: partial connection with the handshake ACK establishes it', () => {
    const t = new TcpTalk({ sport: 80 });
    t.client.seq += 1;
    const r = only(runFrames(t.s('SA').c('A').c('PA', 100).s('PA', 200).frames));
    expect([r.connState, r.history]).toEqual(['S1', '^hADd']);
  });

  it('retransmissions: T at the 1st, 10th, 100th occurrence; bytes from sequence numbers, not counted twice', () => {
    const t = handshake(new TcpTalk());
    const seq = t.client.seq;
    t.c('PA', 100);
    for (let i = 0; i < 10; i++) t.c('PA', 100, { seq });
    const r = only(runFrames(t.s('A').frames));
    expect(r.history).toBe('ShADTTa');
    expect(r.origBytes).toBe(100);
    expect(r.origPkts).toBe(13);
  });

  it('repeated SYN with the same sequence number stays one connection and one S', () => {
    const t = new TcpTalk();
    const seq = t.client.seq;
    t.c('S').c('S', 0, { seq, dt: 1 }).c('S', 0, { seq, dt: 2 });
    const r = only(runFrames(t.frames));
    expect([r.history, r.origPkts, r.connState]).toEqual(['S', 3, 'S0']);
  });

  it('a SYN on the same ports with another sequence number starts a new connection', () => {
    const t = new TcpTalk();
    t.c('S').c('S', 0, { seq: 99999, dt: 1 });
    const res = runFrames(t.frames);
    expect(res.finals.map((r) => r.history)).toEqual(['S', 'S']);
    expect(res.pipeline.weirds.get('SYN_seq_jump')).toBe(1);
  });

  it('zero windows: W/w', () => {
    const r = only(runFrames(handshake(new TcpTalk()).s('A', 0, { win: 0 }).c('PA', 10).frames));
    // The pure ACK is recorded (a) before its zero window (w).
    expect(r.history).toBe('ShAawD');
  });

  it('content gaps: g/G and missed_bytes when an ack covers data never seen', () => {
    const t = handshake(new TcpTalk());
    t.c('PA', 100);
    t.c('PA', 200, { advance: true, seq: t.client.seq + 300 }); // 300 bytes lost before it
    t.client.seq += 500;
    const r = only(runFrames(t.s('A').c('FA').s('FA').c('A').frames));
    expect(r.missedBytes).toBe(300);
    expect(r.history).toContain('G');
    expect(r.origBytes).toBe(600);
    expect(r.connState).toBe('SF');
  });

  it('FIN and RST together: I; SYN with FIN: Q', () => {
    const a = only(runFrames(handshake(new TcpTalk()).c('FRA').frames));
    expect(a.history).toBe('ShAI');
    const b = only(runFrames(new TcpTalk().c('SF').frames));
    expect(b.history).toBe('Q');
  });

  it('F repeats only when its sequence number differs', () => {
    const t = handshake(new TcpTalk());
    const fin = t.client.seq;
    t.c('FA').c('FA', 0, { seq: fin }); // the same FIN again: one F
    const one = only(runFrames(t.s('FA').c('A').frames));
    expect(one.history).toBe('ShAFf');
    const u = handshake(new TcpTalk());
    u.c('FA').c('FA', 0, { seq: fin + 7 }); // a FIN further on: F again
    expect(only(runFrames(u.frames)).history).toBe('ShAFF');
  });

  it('an out-of-order segment counts as a retransmission when the earlier one arrives (as Zeek does)', () => {
    const t = handshake(new TcpTalk());
    const s0 = t.client.seq;
    t.c('PA', 100, { seq: s0 + 100 });
    t.c('PA', 100, { seq: s0 });
    t.client.seq = s0 + 200;
    const r = only(runFrames(t.s('A').frames));
    expect(r.origBytes).toBe(200);
    expect(r.history).toBe('ShADTa');
    expect(r.missedBytes).toBe(0);
  });
});
