// MD5 (RFC 1321) of a few hundred bytes, for JA3 and JA3S. A hash object of
// node:crypto costs more to create than MD5 costs to compute on a JA3 string
// (a native call, an object, a digest conversion), and a client that shuffles
// its extensions (Chromium) has a new JA3 string on every connection.

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const X = new Int32Array(16);
const HEX = '0123456789abcdef';
const OUT = new Uint16Array(32);

/** MD5 of data[0, len), lowercase hex. data must have room for the padding: len + 72 bytes. */
export function md5Hex(data: Uint8Array, len: number): string {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length (little-endian, 64 bits).
  const total = ((len + 8) >> 6) * 64 + 64;
  data[len] = 0x80;
  data.fill(0, len + 1, total);
  const bits = len * 8;
  data[total - 8] = bits & 0xff;
  data[total - 7] = (bits >>> 8) & 0xff;
  data[total - 6] = (bits >>> 16) & 0xff;
  data[total - 5] = (bits >>> 24) & 0xff;
  data[total - 4] = Math.floor(bits / 2 ** 32) & 0xff;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < total; block += 64) {
    for (let i = 0; i < 16; i++) {
      const o = block + i * 4;
      X[i] = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      const x = (a + f + K[i]! + X[g]!) | 0;
      b = (b + ((x << S[i]!) | (x >>> (32 - S[i]!)))) | 0;
      a = t;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const words = [a0, b0, c0, d0];
  for (let w = 0; w < 4; w++) {
    const v = words[w]!;
    for (let k = 0; k < 4; k++) {
      const byte = (v >>> (8 * k)) & 0xff;
      OUT[w * 8 + k * 2] = HEX.charCodeAt(byte >> 4);
      OUT[w * 8 + k * 2 + 1] = HEX.charCodeAt(byte & 15);
    }
  }
  return String.fromCharCode.apply(null, OUT as unknown as number[]);
}
