/**
 * The native reader (native/capture-decode.c through capture/native-reader.ts): the
 * frames it decodes ahead must be exactly what the JavaScript decoders make of them,
 * everything unusual must be left to those decoders, and `sensor read` must write the
 * same logs either way. Its block handling (records across blocks, corrupt and cut
 * records, more packets than a block's descriptors hold) must match FileReader's.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { printsAheadStats } from '../../sensor/app/tls/prints-ahead.js';
import { CaptureFileError, FileReader } from '../../sensor/capture/file-reader.js';
import { captureDecodeAddon, NativeFileReader, type PredecodedSink } from '../../sensor/capture/native-reader.js';
import type { PacketSink } from '../../sensor/capture/source.js';
import { Decoder } from '../../sensor/decode/frame.js';
import { DECODE_FLOW, Packet } from '../../sensor/decode/packet.js';
import { D_HELLO, D_HELLO_TEXT, D_LINK, fillPacket, HELLO_SERVER, type AheadSettings } from '../../sensor/decode/predecoded.js';
import { WeirdCounters } from '../../sensor/decode/weird.js';
import { createAppLogs } from '../../sensor/output/app-logs.js';
import { ZeekDirOutput } from '../../sensor/output/zeek-dir.js';
import { Pipeline } from '../../sensor/pipeline.js';
import { captureReader, readSettings } from '../../sensor/read.js';
import { craftedFrames, framesOf, mutated } from './support/corpus.js';
import { asLinkType, bytes, concat, ether, ipv4, pcapBytes, pcapngBytes, udpDatagram, type Frame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-native-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each packet as FileReader hands it over, and the reader's counters. */
function readBoth(file: string, block?: number): { native: string[]; js: string[]; decoded: number; nativeReader: NativeFileReader; jsReader: FileReader } {
  const row = (buf: Uint8Array, off: number, caplen: number, wire: number, sec: number, nsec: number, link: number): string => `${sec}.${nsec} ${caplen}/${wire} link ${link} ${Buffer.from(buf.subarray(off, Math.max(off, off + caplen))).toString('hex')}`;
  const native: string[] = [];
  let decoded = 0;
  const nativeReader = new NativeFileReader(file, undefined, block);
  nativeReader.readAll({
    aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }),
    predecoded: (buf, desc, at, wire, sec, nsec) => void (decoded++, native.push(row(buf, desc[at + 1]!, desc[at + 2]!, wire, sec, nsec, desc[at + D_LINK]!))),
    packet: (buf, off, caplen, wire, sec, nsec, link) => void native.push(row(buf, off, caplen, wire, sec, nsec, link)),
  } satisfies PredecodedSink);
  const js: string[] = [];
  const jsReader = new FileReader(file);
  jsReader.readAll({ packet: (buf, off, caplen, wire, sec, nsec, link) => void js.push(row(buf, off, caplen, wire, sec, nsec, link)) });
  return { native, js, decoded, nativeReader, jsReader };
}

/**
 * Writes a capture and reads it both ways: the same packets (bytes, lengths, times, link
 * types), the same counters. Returns both readings for further checks.
 */
function sameAsFileReader(name: string, data: Uint8Array, block?: number): ReturnType<typeof readBoth> {
  const file = join(dir, name);
  writeFileSync(file, data);
  const r = readBoth(file, block);
  expect(r.nativeReader.mode).toBe('native');
  expect(r.native).toEqual(r.js);
  expect(r.nativeReader.stats()).toEqual(r.jsReader.stats());
  expect(r.nativeReader.badRecords).toBe(r.jsReader.badRecords);
  expect(r.nativeReader.bytes).toBe(r.jsReader.bytes);
  return r;
}

/** Slots for the addon: 2 of `size` bytes, room for 16 descriptors each. */
function slotsOf(size: number): { data: Buffer; desc: Int32Array }[] {
  return [0, 1].map(() => ({ data: Buffer.alloc(size), desc: new Int32Array(64 * 16) }));
}

const frameOf = (i: number): Uint8Array => ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(1000 + (i % 1000), 53, bytes(i % 1400))));

/**
 * Every field decodeFrame sets on a plain IP packet. The transport's own fields are
 * compared for their transport only: the others keep whatever an earlier packet left.
 */
const FIELDS = ['end', 'wireEnd', 'etherType', 'vlan0', 'vlan1', 'vlanCount', 'mplsCount', 'pppoeSession', 'ipVersion', 'ipOff', 'ipHdrLen', 'ipLen', 'proto', 'ttl', 's0', 's1', 's2', 's3', 'd0', 'd1', 'd2', 'd3', 'isFragment', 'reassembled', 'l4Off', 'l4Len', 'sport', 'dport', 'tcpFlags', 'l4Bad', 'ip6Dst', 'payOff', 'payLen', 'payCap', 'tunnelKind', 'depth'] as const;
const TRANSPORT_FIELDS: Record<number, readonly (keyof Packet)[]> = { 6: ['seq', 'ack', 'win', 'tcpHdrLen'], 17: ['udpLen'], 1: ['icmpType', 'icmpCode'], 58: ['icmpType', 'icmpCode'] };

function fieldsOf(p: Packet): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of FIELDS) o[f] = p[f];
  for (const f of TRANSPORT_FIELDS[p.proto] ?? []) o[f] = p[f];
  o.mpls = [...p.mpls.subarray(0, Math.min(p.mplsCount, 8))];
  return o;
}

interface Comparison {
  decoded: number;
  toJs: number;
  mismatches: string[];
  /** Frames the native decoder left to JavaScript that JavaScript decoded plainly, without a weird. */
  plainLeft: number;
  /** Descriptors of ServerHellos, and those whose JA4 bytes were not cleared. */
  serverHellos: number;
  staleJa4: number;
}

/**
 * Reads a file natively and decodes every frame again in JavaScript: each frame the native
 * decoder took must decode to DECODE_FLOW with no weird and exactly its fields.
 */
function compareWithJs(file: string, linkType: number, settings: AheadSettings): Comparison {
  const weirds = new WeirdCounters();
  const js = new Decoder(weirds, { verifyIpChecksum: settings.verifyIp, verifyTransportChecksums: settings.verifyL4, vxlanPorts: settings.vxlanPorts });
  const a = new Packet();
  const b = new Packet();
  const c: Comparison = { decoded: 0, toJs: 0, mismatches: [], plainLeft: 0, serverHellos: 0, staleJa4: 0 };
  let index = 0;
  const sink: PredecodedSink = {
    aheadSettings: () => settings,
    predecoded(buf, desc, at) {
      c.decoded++;
      if (desc[at + D_HELLO] === HELLO_SERVER) {
        // A ServerHello has no JA4: its bytes are zeros, whatever an earlier packet's descriptor held.
        c.serverHellos++;
        if (desc.subarray(at + D_HELLO_TEXT + 8, at + D_HELLO_TEXT + 17).some((v) => v !== 0)) c.staleJa4++;
      }
      fillPacket(a, buf, desc, at);
      const off = desc[at + 1]!;
      const before = weirds.total();
      const r = js.decodeFrame(b, linkType, buf, off, desc[at + 2]!, desc[at + 3]! >>> 0);
      const want = fieldsOf(b);
      const got = fieldsOf(a);
      if (r !== DECODE_FLOW || weirds.total() !== before || JSON.stringify(want) !== JSON.stringify(got)) {
        if (c.mismatches.length < 5) c.mismatches.push(`frame ${index}: JavaScript ${r}/${weirds.total() - before} weirds ${JSON.stringify(want)}, native ${JSON.stringify(got)}`);
      }
      index++;
    },
    packet(buf, off, caplen, wirelen) {
      c.toJs++;
      const before = weirds.total();
      const r = js.decodeFrame(b, linkType, buf, off, caplen, wirelen);
      if (r === DECODE_FLOW && weirds.total() === before && !b.l4Bad) c.plainLeft++;
      index++;
    },
  };
  const reader = new NativeFileReader(file);
  reader.readAll(sink);
  expect(reader.mode).toBe('native');
  return c;
}

describe('the native capture reader', () => {
  it('is built (npm run build compiles native/capture-decode.c)', () => {
    const addon = captureDecodeAddon();
    expect(addon, 'the addon is built by npm run build (native/build.mjs)').toHaveProperty('addon');
  });

  it('without the addon: the reason names the missing file, and reading falls back to JavaScript', async () => {
    const missing = captureDecodeAddon(['./no-such-addon.node']);
    expect(missing).toEqual({ error: expect.stringMatching(/not built \(.*no-such-addon\.node; run npm run build\)/) });
    const file = join(dir, 'fallback.pcap');
    writeFileSync(file, pcapBytes(craftedFrames().map((data, i) => ({ ts: 1_767_225_600 + i, data }))));
    const reader = new NativeFileReader(file, missing);
    const p = new Pipeline({ outputs: [{ record: () => {} }] });
    reader.readAll(p);
    expect(reader.mode).toEqual({ fallback: expect.stringMatching(/not built/) });
    expect(p.stats.packets).toBe(craftedFrames().length);
  });

  it('decodes a generator capture ahead as the JavaScript decoders do, leaving nothing plain to them', async () => {
    const file = join(dir, 'gen.pcap');
    await writeCapture(file, { seed: 3, packets: 20_000 });
    const settings = { verifyIp: true, verifyL4: true, vxlanPorts: [4789], helloPrints: true };
    const c = compareWithJs(file, 1, settings);
    expect(c.mismatches).toEqual([]);
    expect(c.decoded + c.toJs).toBeGreaterThanOrEqual(20_000);
    expect(c.plainLeft, 'frames the JavaScript decoders found plain but the native one left to them').toBe(0);
    expect(c.decoded / (c.decoded + c.toJs)).toBeGreaterThan(0.98);
    expect(c.serverHellos).toBeGreaterThan(20);
    expect(c.staleJa4).toBe(0);
  });

  it.each([
    { verifyIp: true, verifyL4: true, linkType: 1 },
    { verifyIp: false, verifyL4: false, linkType: 1 },
    { verifyIp: true, verifyL4: true, linkType: 101 },
    { verifyIp: true, verifyL4: true, linkType: 113 },
    { verifyIp: false, verifyL4: true, linkType: 276 },
  ])('decodes 150,000 crafted and mutated frames exactly as JavaScript does, or leaves them to it (checksums $verifyL4, link type $linkType)', async ({ verifyIp, verifyL4, linkType }) => {
    const gen = join(dir, 'seed.pcap');
    await writeCapture(gen, { seed: 11, packets: 3_000 });
    const file = join(dir, `mutated-${linkType}-${verifyL4}.pcap`);
    const frames = mutated(framesOf(gen).map((f) => asLinkType(f, linkType)), craftedFrames().map((f) => asLinkType(f, linkType)), 150_000, 20261124 + linkType);
    writeFileSync(file, pcapBytes(frames, { linkType }));
    const c = compareWithJs(file, linkType, { verifyIp, verifyL4, vxlanPorts: [4789], helloPrints: true });
    expect(c.mismatches).toEqual([]);
    expect(c.decoded + c.toJs).toBe(150_000);
    // Both kinds are many: the mutations reach every rule of the native decoder.
    expect(c.decoded).toBeGreaterThan(30_000);
    expect(c.toJs).toBeGreaterThan(30_000);
  }, 60_000);

  it('sensor read writes the same logs natively and in JavaScript, app analyzers on', async () => {
    const file = join(dir, 'logs.pcap');
    await writeCapture(file, { seed: 5, packets: 30_000 });
    const logsOf = (reader: NativeFileReader | FileReader, name: string): Record<string, string> => {
      const out = join(dir, name);
      const p = new Pipeline({ outputs: [new ZeekDirOutput(out, createAppLogs)], analyzers: createAppAnalyzer, flows: { uidSeed: 7, interimSec: 60 } });
      reader.readAll(p);
      p.finish();
      const logs: Record<string, string> = {};
      // (#open and #close carry the time of writing)
      for (const f of readdirSync(out)) logs[f] = readFileSync(join(out, f), 'utf8').replace(/^#(open|close).*$/gm, '');
      return logs;
    };
    const used0 = printsAheadStats.used;
    const native = new NativeFileReader(file);
    const nativeLogs = logsOf(native, 'native');
    expect(native.mode).toBe('native');
    expect(native.decoded).toBeGreaterThan(29_000);
    // The hellos' fingerprints came from the reader (every hello of this capture starts its segment): one per ssl.log row at least.
    const used = printsAheadStats.used - used0;
    const sslRows = (logs: Record<string, string>): number => logs['ssl.log']!.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(used).toBeGreaterThanOrEqual(sslRows(nativeLogs));
    const jsLogs = logsOf(new FileReader(file), 'js');
    expect(printsAheadStats.used - used0, 'none taken when JavaScript reads the file').toBe(used);
    expect(Object.keys(nativeLogs).sort()).toEqual(['conn.log', 'dns.log', 'http.log', 'ssh.log', 'ssl.log', 'weird.log', 'x509.log']);
    for (const name of Object.keys(jsLogs)) expect(nativeLogs[name], name).toBe(jsLogs[name]);
    expect(nativeLogs['conn.log']!.split('\n').length).toBeGreaterThan(500);
  }, 60_000);

  it('sensor read --reader: chot (the default) reads natively, js in JavaScript; anything else is refused', () => {
    const settings = (reader: string) => readSettings({ format: 'zeek', app: true, interim: '60', maxFlows: '1000000', reader, checksums: true });
    expect(captureReader(settings('chot'), 'x.pcap')).toBeInstanceOf(NativeFileReader);
    const js = captureReader(settings('js'), 'x.pcap');
    expect(js).toBeInstanceOf(FileReader);
    expect(js).not.toBeInstanceOf(NativeFileReader);
    expect(() => settings('fast')).toThrow('--reader: expected chot, js or libpcap, got "fast"');
  });

  it('a sink taking frames only is read by FileReader', () => {
    const frames = craftedFrames().map((data, i) => ({ ts: 1_767_225_600 + i, data }));
    const pcap = join(dir, 'frames.pcap');
    writeFileSync(pcap, pcapBytes(frames));
    const seen: number[] = [];
    const b = new NativeFileReader(pcap);
    b.readAll({ packet: (_b, _o, caplen) => void seen.push(caplen) } satisfies PacketSink);
    expect(b.mode).toEqual({ fallback: 'the sink takes frames only' });
    expect(seen).toEqual(frames.map((f) => f.data.length));
  });

  describe('pcapng, as FileReader reads it', () => {
    const frames: Frame[] = craftedFrames().flatMap((data, i) => [0, 1, 2].map((k) => ({ ts: [1_767_225_600 + i * 3 + k, (i * 7919 + k * 104_729) % 1_000_000_000] as [number, number], data, wire: k === 2 ? data.length + 100 : undefined })));

    it.each([
      { tsresol: 6, label: 'microseconds (the default)' },
      { tsresol: 9, label: 'nanoseconds' },
      { tsresol: 3, label: 'milliseconds' },
      { tsresol: 0x80 | 20, label: 'binary, 2^-20 s (converted in JavaScript)' },
      { tsresol: 12, label: 'picoseconds (converted in JavaScript)' },
    ])('timestamps in $label, both byte orders, exact', ({ tsresol }) => {
      for (const bigEndian of [false, true]) {
        const r = sameAsFileReader(`ts-${tsresol}-${bigEndian}.pcapng`, pcapngBytes(frames, { tsresol, bigEndian }));
        expect(r.native.length).toBe(frames.length);
      }
    });

    it('several sections (byte orders, link types, interfaces reset by each), simple packet blocks', () => {
      const raw = frames.map((f) => ({ ...f, data: asLinkType(f.data, 101) }));
      const sll = frames.map((f) => ({ ...f, data: asLinkType(f.data, 113) }));
      const r = sameAsFileReader('sections.pcapng', concat(pcapngBytes(frames, { tsresol: 9 }), pcapngBytes(raw, { bigEndian: true, linkType: 101 }), pcapngBytes(sll, { linkType: 113, simple: true }), pcapngBytes(frames.slice(0, 5))), 400 * 1024);
      expect(r.native.length).toBe(3 * frames.length + 5);
      expect(r.decoded).toBeGreaterThan(frames.length);
    });

    it('an unknown interface, a cut block, a bad length and a bad byte-order magic end or skip as FileReader does', () => {
      const one = pcapngBytes(frames.slice(0, 10));
      // An enhanced packet block naming interface 3 of a section that has one: counted bad, skipped.
      const badIface = Buffer.from(one);
      badIface.writeUInt32LE(3, one.length - (12 + 20 + frames[9]!.data.length + ((4 - (frames[9]!.data.length % 4)) % 4)) + 8);
      const ra = sameAsFileReader('bad-iface.pcapng', badIface);
      expect(ra.native.length).toBe(9);
      expect(ra.nativeReader.badRecords).toBe(1);

      const rb = sameAsFileReader('cut.pcapng', one.subarray(0, one.length - 7));
      expect(rb.native.length).toBe(9);
      expect(rb.nativeReader.badRecords).toBe(1);

      const badLength = Buffer.from(concat(one, one));
      badLength.writeUInt32LE(13, one.length + 4); // the second section header's length, not a multiple of 4
      const rc = sameAsFileReader('bad-length.pcapng', badLength);
      expect(rc.native.length).toBe(10);
      expect(rc.nativeReader.badRecords).toBe(1);

      const badMagic = Buffer.from(concat(one, one));
      badMagic.writeUInt32LE(0x12345678, one.length + 8);
      const d = join(dir, 'bad-magic.pcapng');
      writeFileSync(d, badMagic);
      const got: string[] = [];
      expect(() => new FileReader(d).readAll({ packet: () => void got.push('js') })).toThrow(/bad-magic\.pcapng: bad pcapng byte-order magic/);
      expect(() =>
        new NativeFileReader(d).readAll({ aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }), predecoded: () => void got.push('native'), packet: () => void got.push('native') } satisfies PredecodedSink),
      ).toThrow(/bad-magic\.pcapng: bad pcapng byte-order magic/);
      expect(got.filter((g) => g === 'js').length).toBe(10);
      expect(got.filter((g) => g === 'native').length).toBe(10);
    });

    it('an interface block too short to hold a snaplen, and 70,000 interfaces in one section', () => {
      const le32 = (v: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v >>> 0);
        return b;
      };
      const block = (type: number, body: Uint8Array) => Buffer.concat([le32(type), le32(12 + body.length), body, le32(12 + body.length)]);
      const shb = block(0x0a0d0d0a, Buffer.concat([le32(0x1a2b3c4d), Buffer.from([1, 0, 0, 0]), Buffer.alloc(8, 0xff)]));
      const frame = Buffer.from(frameOf(3));
      const spb = block(3, Buffer.concat([le32(frame.length), frame, Buffer.alloc((4 - (frame.length % 4)) % 4)]));
      const shortIdb = Buffer.concat([le32(1), le32(12), le32(12)]); // no room for link type and snaplen
      expect(sameAsFileReader('short-idb.pcapng', Buffer.concat([shb, shortIdb, spb])).native.length).toBe(1);

      const idb = block(1, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
      const epb = (iface: number) => block(6, Buffer.concat([le32(iface), le32(0), le32(1_000_000), le32(frame.length), le32(frame.length), frame, Buffer.alloc((4 - (frame.length % 4)) % 4)]));
      const rb = sameAsFileReader('many-ifaces.pcapng', Buffer.concat([shb, ...Array.from({ length: 70_000 }, () => idb), epb(69_999), epb(70_000)]));
      expect(rb.native.length).toBe(1);
      expect(rb.nativeReader.badRecords).toBe(1);
    });

    it('decodes mutated frames in pcapng exactly as JavaScript does', async () => {
      const gen = join(dir, 'seed-ng.pcap');
      await writeCapture(gen, { seed: 12, packets: 2_000 });
      const file = join(dir, 'mutated.pcapng');
      writeFileSync(file, pcapngBytes(mutated(framesOf(gen), craftedFrames(), 60_000, 77), { tsresol: 9 }));
      const c = compareWithJs(file, 1, { verifyIp: true, verifyL4: true, vxlanPorts: [4789], helloPrints: true });
      expect(c.mismatches).toEqual([]);
      expect(c.decoded + c.toJs).toBe(60_000);
      expect(c.decoded).toBeGreaterThan(10_000);
    }, 60_000);
  });

  describe('blocks, as FileReader reads them', () => {
    const frames: Frame[] = Array.from({ length: 3_000 }, (_, i) => ({ ts: [1_767_225_600 + i, (i * 7919) % 1_000_000_000], data: ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(1000 + i, 53, bytes(i % 1400)))), wire: i % 10 === 0 ? 2000 : undefined }));

    it.each([{ nano: false }, { nano: true }])('records across block ends, timestamps and lengths exact (nanoseconds $nano)', ({ nano }) => {
      // 330 KiB blocks (the least the addon takes): records straddle every block end.
      const r = sameAsFileReader(`blocks-${nano}.pcap`, pcapBytes(frames, { nano }), 330 * 1024);
      expect(r.native.length).toBe(3_000);
      expect(r.nativeReader.badRecords).toBe(0);
    });

    it('more packets than a block has descriptors for: carried to the next block', () => {
      const tiny: Frame[] = Array.from({ length: 20_000 }, (_, i) => ({ ts: 1_767_225_600 + i / 1000, data: Uint8Array.of(i & 0xff) }));
      expect(sameAsFileReader('tiny.pcap', pcapBytes(tiny)).native.length).toBe(20_000);
    });

    it('a record cut by the end of the file, and a corrupt record length, end reading as FileReader ends it', () => {
      const whole = pcapBytes(frames.slice(0, 50));
      const cut = sameAsFileReader('cut.pcap', whole.subarray(0, whole.length - 30));
      expect(cut.native.length).toBe(49);
      expect(cut.nativeReader.badRecords).toBe(1);

      const corrupt = Buffer.from(pcapBytes(frames.slice(0, 50)));
      let at = 24;
      for (let i = 0; i < 20; i++) at += 16 + corrupt.readUInt32LE(at + 8);
      corrupt.writeUInt32LE(5_000_000, at + 8); // the 21st record's length
      const c = sameAsFileReader('corrupt.pcap', corrupt);
      expect(c.native.length).toBe(20);
      expect(c.nativeReader.badRecords).toBe(1);

      const h = sameAsFileReader('header-cut.pcap', whole.subarray(0, 24 + 10));
      expect(h.native).toEqual([]);
      expect(h.nativeReader.badRecords).toBe(1);
    });

    it('stopped by the sink: reading ends at once, the thread is joined, the count is what was delivered', () => {
      const file = join(dir, 'stop.pcap');
      writeFileSync(file, pcapBytes(frames));
      const reader = new NativeFileReader(file, undefined, 330 * 1024);
      let n = 0;
      reader.readAll({
        aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }),
        predecoded: () => void (++n === 1234 && reader.stop()),
        packet: () => void (++n === 1234 && reader.stop()),
      } satisfies PredecodedSink);
      expect(n).toBe(1234);
      expect(reader.stats().received).toBe(1234);
    });
  });

  it('a read error is reported with its reason', () => {
    const a = captureDecodeAddon();
    if (!('addon' in a)) throw new Error(a.error);
    // A directory opens but cannot be read: the thread's read fails with EISDIR.
    const fd = openSync(dir, 'r');
    try {
      const h = a.addon.open(fd, { offset: 0, pcapng: false, littleEndian: true, linkType: 1, verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }, slotsOf(330 * 1024));
      const slot = a.addon.next(h);
      if (slot >= 0) {
        expect(a.addon.count(h, slot)).toBe(0);
        a.addon.release(h, slot);
      }
      expect(a.addon.next(h)).toBe(-1);
      expect(a.addon.stats(h)).toEqual({ bytes: 0, readError: expect.stringMatching(/directory/i) });
      a.addon.close(h);
      a.addon.close(h); // twice is harmless
      expect(a.addon.next(h)).toBe(-1);
    } finally {
      closeSync(fd);
    }
  });

  it('refuses bad arguments with what is wrong; a refusal of settings falls back to JavaScript', () => {
    const a = captureDecodeAddon();
    if (!('addon' in a)) throw new Error(a.error);
    const file = join(dir, 'args.pcap');
    writeFileSync(file, pcapBytes(craftedFrames().map((data, i) => ({ ts: 1_767_225_600 + i, data }))));
    const fd = openSync(file, 'r');
    try {
      const opts = { offset: 24, pcapng: false, littleEndian: true, linkType: 1, verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false };
      expect(() => a.addon.open(-1, opts, slotsOf(330 * 1024))).toThrow(/fd must be an open file descriptor/);
      expect(() => a.addon.open(999_999, opts, slotsOf(330 * 1024))).toThrow(/cannot duplicate fd 999999/);
      expect(() => a.addon.open(fd, opts, slotsOf(330 * 1024).slice(0, 1))).toThrow(/2 to 8 slots/);
      expect(() => a.addon.open(fd, opts, slotsOf(1024))).toThrow(/largest record or block/);
      expect(() => a.addon.open(fd, opts, [...slotsOf(400 * 1024).slice(0, 1), ...slotsOf(500 * 1024).slice(0, 1)])).toThrow(/the same size/);
      expect(() => a.addon.open(fd, { ...opts, vxlanPorts: Array.from({ length: 17 }, (_, i) => i) }, slotsOf(330 * 1024))).toThrow(/at most 16/);
      expect(() => a.addon.next({})).toThrow(/reader handle/);
      expect(() => a.addon.next(a.addon)).toThrow(/reader handle/);
    } finally {
      closeSync(fd);
    }
    // Through the reader: seventeen VXLAN ports are more than the addon takes; JavaScript reads instead.
    const reader = new NativeFileReader(file);
    const p = new Pipeline({ outputs: [{ record: () => {} }], decoder: { vxlanPorts: Array.from({ length: 17 }, (_, i) => 4789 + i) } });
    reader.readAll(p);
    expect(reader.mode).toEqual({ fallback: expect.stringMatching(/refused: .*at most 16/) });
    expect(p.stats.packets).toBe(craftedFrames().length);
  });

  it('counts only what it handed over when stopped, and what it handed over before a sink threw', () => {
    // Every record cut by the snaplen, then a corrupt one: the thread reads past the stop.
    const frames: Frame[] = Array.from({ length: 5_000 }, (_, i) => ({ ts: 1_767_225_600 + i / 1000, data: frameOf(i), wire: 2_000 }));
    const bytesOf = Buffer.from(pcapBytes(frames));
    const file = join(dir, 'stop-counts.pcap');
    writeFileSync(file, Buffer.concat([bytesOf, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]));
    const stopped = new NativeFileReader(file);
    let n = 0;
    stopped.readAll({ aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }), predecoded: () => void (++n === 10 && stopped.stop()), packet: () => void (++n === 10 && stopped.stop()) } satisfies PredecodedSink);
    expect(stopped.stats()).toEqual({ received: 10, droppedKernel: 0, droppedInterface: 0, truncated: 10 });
    expect(stopped.badRecords).toBe(0);

    const whole = new NativeFileReader(file);
    whole.readAll({ aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }), predecoded: () => {}, packet: () => {} } satisfies PredecodedSink);
    expect(whole.stats().truncated).toBe(5_000);
    expect(whole.badRecords).toBe(1);

    const fds = readdirSync('/proc/self/fd').length;
    const throwing = new NativeFileReader(file);
    let m = 0;
    const boom = (): void => {
      if (++m === 100) throw new Error('a bug in the sink');
    };
    expect(() => throwing.readAll({ aheadSettings: () => ({ verifyIp: true, verifyL4: true, vxlanPorts: [], helloPrints: false }), predecoded: boom, packet: boom } satisfies PredecodedSink)).toThrow('a bug in the sink');
    expect(throwing.stats().received).toBe(100);
    expect(readdirSync('/proc/self/fd').length).toBe(fds); // the file and its duplicate closed, the thread joined
  });

  it('sensor read on a capture whose file is not a capture: the same error as FileReader', () => {
    const file = join(dir, 'not.pcap');
    writeFileSync(file, 'hello, not a capture');
    expect(() => new NativeFileReader(file).readAll(new Pipeline({ outputs: [] }))).toThrow(CaptureFileError);
    expect(() => new NativeFileReader(join(dir, 'missing.pcap')).readAll(new Pipeline({ outputs: [] }))).toThrow(/file not found/);
  });
});
