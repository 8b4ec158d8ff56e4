/** The hand-made end-to-end frames (lab/traffic/plaintext-session.ts) as the sensor reads them. */
import { describe, expect, it } from 'vitest';
import { fillerDatagram, plaintextSession } from '../../lab/traffic/plaintext-session.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { only, runFrames } from '../sensor/support/run.js';

const at = (frames: Buffer[]) => frames.map((data, i) => ({ ts: 1_767_225_600 + i * 0.001, data }));

describe('plaintext population-data session frames', () => {
  it('make one complete HTTP connection with valid checksums: SF, every step in the history, the request and its answer', () => {
    const res = runFrames(at(plaintextSession('198.18.16.7', '198.18.0.10', 8443, 40_123)), { analyzers: createAppAnalyzer, decoder: { verifyTransportChecksums: true } });
    const r = only(res);
    expect([r.origH, r.origP, r.respH, r.respP, r.connState, r.history, r.service]).toEqual(['198.18.16.7', 40_123, '198.18.0.10', 8443, 'SF', 'ShADdFf', 'http']);
    expect(r.weirds).toEqual([]);
    expect(res.pipeline.weirds.total()).toBe(0);
    expect(r.app?.http?.[0]).toMatchObject({ method: 'GET', host: 'popdata.chot.internal:8443', uri: '/api/v1/cong-dan/001099012345', userAgent: 'curl/8.5.0', statusCode: 400 });
  });

  it('filler datagrams are plain DNS-port UDP with a valid IP header', () => {
    const res = runFrames(at([fillerDatagram('198.18.10.20', '198.18.0.53', 50_001)]), { decoder: { verifyTransportChecksums: true } });
    const r = only(res);
    expect([r.proto, r.origP, r.respP, r.origPkts]).toEqual(['udp', 50_001, 53, 1]);
    expect(res.pipeline.weirds.total()).toBe(0);
  });
});
