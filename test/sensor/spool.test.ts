import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../../sensor/uplink/spool.js';
import { packageRoot } from '../../common/paths.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'chot-spool-'));
const payload = (i: number, size = 100): Buffer => Buffer.alloc(size, `batch-${i};`);
const segments = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();

describe('the uplink spool', () => {
  it('numbers batches from the clock, keeps them in order, and replays only the unacknowledged', () => {
    const dir = fresh();
    const before = Date.now() * 1000;
    const spool = new Spool({ dir, maxBytes: 1 << 20 });
    const seqs = [0, 1, 2, 3, 4].map((i) => spool.append(payload(i)));
    expect(seqs[0]).toBeGreaterThanOrEqual(before);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    spool.ack(seqs[1]!);
    expect([...spool.pending()].map((e) => e.seq)).toEqual(seqs.slice(2));
    expect([...spool.pending()][0]!.payload.equals(payload(2))).toBe(true);
    spool.close();
  });

  it('survives a restart: pending batches replay in order and numbering continues', () => {
    const dir = fresh();
    let spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 350 });
    const seqs = Array.from({ length: 10 }, (_, i) => spool.append(payload(i)));
    spool.ack(seqs[3]!);
    spool.close();
    spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 350 });
    expect([...spool.pending()].map((e) => e.seq)).toEqual(seqs.slice(4));
    // Monotonic, not contiguous: a restart moves on to the clock, never back.
    expect(spool.append(payload(10))).toBeGreaterThan(seqs[9]!);
    spool.close();
  });

  it('serves replay from disk and the newest entries from memory, seamlessly and in order', () => {
    const dir = fresh();
    const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 350, cacheBytes: 300 });
    const seqs = Array.from({ length: 10 }, (_, i) => spool.append(payload(i)));
    spool.ack(seqs[1]!);
    const replay = [...spool.pending()];
    expect(replay.map((e) => e.seq)).toEqual(seqs.slice(2));
    expect(replay.map((e) => e.payload.toString())).toEqual(seqs.slice(2).map((_, i) => payload(i + 2).toString()));
    expect([...spool.pending(seqs[8]!)].map((e) => e.seq)).toEqual(seqs.slice(8));
    spool.close();
  });

  it('replays from disk as a sender does, asking again after every ack, while new batches land in the segment being read', () => {
    const dir = fresh();
    // No memory cache worth the name: every entry is read back from its segment.
    const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 1000, cacheBytes: 1 });
    const seqs = Array.from({ length: 6 }, (_, i) => spool.append(payload(i)));
    const sent: number[] = [];
    let next = -1;
    for (let round = 0; round < 20 && sent.length < 14; round++) {
      const e = spool.pending(next + 1).next();
      if (e.done) break;
      sent.push(e.value.seq);
      expect(e.value.payload.toString()).toBe(payload(seqs.indexOf(e.value.seq)).toString());
      next = e.value.seq;
      spool.ack(e.value.seq);
      // Appends between reads: into the open segment the replay just read, and into new ones.
      if (round % 2 === 0) seqs.push(spool.append(payload(seqs.length)));
    }
    expect(sent).toEqual(seqs.slice(0, sent.length));
    expect(sent.length).toBeGreaterThan(8);
    expect([...spool.pending()].map((e) => e.seq)).toEqual(seqs.slice(sent.length));
    spool.close();
  });

  it('makes writes and the acknowledged position durable in the background while appends and rotations go on', async () => {
    const dir = fresh();
    let spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 600, fsync: 'interval', fsyncIntervalMs: 2 });
    const seqs: number[] = [];
    for (let i = 0; i < 300; i++) {
      seqs.push(spool.append(payload(i)));
      if (i % 7 === 0) spool.ack(seqs[Math.floor(i / 2)]!);
      // Lets the interval's background fsyncs run between appends, rotations and segment deletions.
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    const acked = seqs[149]!;
    spool.ack(acked);
    // The position reaches the disk without close(): the background write of state.json.
    const saved = (): number => (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { ackedSeq: number }).ackedSeq;
    for (let t = 0; t < 200 && saved() !== acked; t++) await new Promise((r) => setTimeout(r, 10));
    expect(saved()).toBe(acked);
    // A descriptor closed under a running fsync would show here as a failed fsync (EBADF).
    expect(spool.stats().syncErrors).toBe(0);
    spool.close();
    spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 600 });
    const replay = [...spool.pending()];
    expect(replay.map((e) => e.seq)).toEqual(seqs.slice(150));
    expect(replay.every((e) => e.payload.equals(payload(seqs.indexOf(e.seq))))).toBe(true);
    expect(spool.stats().corruptTails).toBe(0);
    spool.close();
  });

  it('keeps the position close() saved over a background save still running, and leaks no descriptor', async () => {
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 40));
    await settle();
    const before = openFds();
    for (let round = 0; round < 10; round++) {
      const dir = fresh();
      const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 400, fsync: 'interval', fsyncIntervalMs: 60_000 });
      const seqs = Array.from({ length: 3 }, (_, i) => spool.append(payload(i)));
      spool.ack(seqs[1]!);
      // This append rotates: the segment left behind is fsynced and seqs[1] saved in the
      // background, still running when close() saves seqs[2] on this thread just after.
      seqs.push(spool.append(payload(3)));
      spool.ack(seqs[2]!);
      spool.close();
      await settle();
      expect((JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { ackedSeq: number }).ackedSeq, `round ${round}`).toBe(seqs[2]);
      expect(spool.stats().syncErrors).toBe(0);
    }
    await settle();
    expect(openFds()).toBe(before);
  });

  it('refuses a size bound that makes no sense instead of dropping everything', () => {
    expect(() => new Spool({ dir: fresh(), maxBytes: 2 << 30 })).toThrow(/spool maxBytes must be a positive whole number of bytes \(got -2147483648\)/);
    expect(() => new Spool({ dir: fresh(), maxBytes: Number.NaN })).toThrow(/maxBytes/);
  });

  it('deletes segments once all their batches are acknowledged', () => {
    const dir = fresh();
    const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 350 });
    const seqs = Array.from({ length: 12 }, (_, i) => spool.append(payload(i)));
    const many = segments(dir).length;
    expect(many).toBeGreaterThan(3);
    spool.ack(seqs[11]!);
    expect(segments(dir).length).toBe(0);
    expect(spool.stats().depthBatches).toBe(0);
    spool.close();
  });

  it('cuts off a torn last entry on recovery and counts it', () => {
    const dir = fresh();
    let spool = new Spool({ dir, maxBytes: 1 << 20 });
    const seqs = [0, 1, 2].map((i) => spool.append(payload(i)));
    spool.close();
    const seg = join(dir, segments(dir)[0]!);
    truncateSync(seg, statSync(seg).size - 30);
    spool = new Spool({ dir, maxBytes: 1 << 20 });
    expect([...spool.pending()].map((e) => e.seq)).toEqual(seqs.slice(0, 2));
    expect(spool.stats().corruptTails).toBe(1);
    // Appending after recovery continues cleanly after the cut.
    const next = spool.append(payload(9));
    spool.close();
    spool = new Spool({ dir, maxBytes: 1 << 20 });
    expect([...spool.pending()].map((e) => e.seq)).toEqual([seqs[0], seqs[1], next]);
    spool.close();
  });

  it('detects a corrupted entry by its checksum', () => {
    const dir = fresh();
    let spool = new Spool({ dir, maxBytes: 1 << 20 });
    const seqs = [0, 1, 2].map((i) => spool.append(payload(i)));
    spool.close();
    const seg = join(dir, segments(dir)[0]!);
    const data = readFileSync(seg);
    data[116 + 16 + 5] ^= 0xff; // a payload byte of the second entry
    writeFileSync(seg, data);
    spool = new Spool({ dir, maxBytes: 1 << 20 });
    expect([...spool.pending()].map((e) => e.seq)).toEqual([seqs[0]]);
    expect(spool.stats().corruptTails).toBe(1);
    spool.close();
  });

  it('is bounded: past its size the oldest batches are dropped, and counted', () => {
    const dir = fresh();
    const spool = new Spool({ dir, maxBytes: 1000, segmentBytes: 250 });
    const seqs = Array.from({ length: 20 }, (_, i) => spool.append(payload(i)));
    const stats = spool.stats();
    expect(stats.depthBytes).toBeLessThanOrEqual(1000);
    const kept = [...spool.pending()].map((e) => e.seq);
    expect(stats.droppedBatches + kept.length).toBe(20);
    expect(stats.droppedBatches).toBeGreaterThan(0);
    expect(kept).toEqual(seqs.slice(20 - kept.length));
    spool.close();
    expect(new Spool({ dir, maxBytes: 1000, segmentBytes: 250 }).stats().droppedBatches).toBe(stats.droppedBatches);
  });

  it('loses no batch whose append returned when the process is killed with SIGKILL (fsync always)', async () => {
    const dir = fresh();
    const script = `
      import { Spool } from ${JSON.stringify(join(packageRoot, 'dist/sensor/uplink/spool.js'))};
      const spool = new Spool({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 30, segmentBytes: 64 * 1024, fsync: 'always' });
      for (let i = 0; i < 1e6; i++) { const seq = spool.append(Buffer.alloc(512, i % 251)); process.stdout.write(seq + '\\n'); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise((r) => child.once('close', r));
    // Killed mid-stream once enough appends have returned (a loaded machine starts and fsyncs slowly: counted, not timed).
    const lines = (): number => out.split('\n').length - 1;
    for (const until = Date.now() + 30_000; lines() < 60 && child.exitCode === null && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await closed;
    const written = out.split('\n').filter(Boolean).map(Number);
    // (The child runs the built spool: without \`npm run build\` it fails at once, and says so here.)
    expect(written.length, `appends the child reported before it was killed; it said: ${err.slice(-500)}`).toBeGreaterThan(50);
    appendFileSync(join(dir, segments(dir).at(-1)!), Buffer.from([1, 2, 3])); // and a torn tail for good measure
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 64 * 1024 });
    const recovered = [...spool.pending()].map((e) => e.seq);
    expect(recovered.slice(0, written.length)).toEqual(written);
    expect(recovered.length - written.length).toBeLessThanOrEqual(1); // one more may have been written, not yet reported
    spool.close();
  });
});
