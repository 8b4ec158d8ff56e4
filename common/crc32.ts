/**
 * CRC-32 (IEEE 802.3), for spool and journal entries. Node's zlib.crc32 (from 20.15) is
 * native and about ten times the speed of the table below, which serves older Node 20s;
 * on the sensor's uplink the table was 1.7 µs of every record's CPU.
 */
import zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The table-driven CRC, kept for Node releases without zlib.crc32 and as the tests' reference. */
export function crc32Table(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let c = ~seed;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** The CRC of buf[start, end), continuing from seed (a previous result) like zlib's. */
export const crc32: (buf: Uint8Array, start?: number, end?: number, seed?: number) => number =
  native === undefined ? crc32Table : (buf, start = 0, end = buf.length, seed = 0) => native(start === 0 && end === buf.length ? buf : buf.subarray(start, end), seed);
