import type { Prng } from '../prng.js';
import type { Bytes } from '../flows/tcp-script.js';

const WORDS = (
  'thong tin dan cu can cuoc cong dan xac thuc dich vu cong truc tuyen ho so giay to tra cuu ket qua ' +
  'the data service request response portal session account record update report district commune ' +
  'province national registry status pending approved citizen identity document certificate'
).split(' ');

/**
 * Shared payload bytes that many flows point into instead of each building its own:
 * `random` stands for ciphertext and compressed data (TLS records, SSH packets, uploads),
 * `text` for HTML and JSON bodies. Built once per capture from the seed.
 */
export class PayloadPool {
  readonly random: Buffer;
  readonly text: Buffer;

  constructor(rng: Prng, randomSize = 4 << 20, textSize = 512 << 10) {
    this.random = rng.bytes(randomSize);
    this.text = buildText(rng, textSize);
  }

  /** `len` bytes of ciphertext-like data starting at a random place, as one or more slices. */
  randomBytes(rng: Prng, len: number): Bytes[] {
    return slices(this.random, rng, len);
  }

  textBytes(rng: Prng, len: number): Bytes[] {
    return slices(this.text, rng, len);
  }
}

function slices(pool: Buffer, rng: Prng, len: number): Bytes[] {
  const out: Bytes[] = [];
  let left = len;
  let off = rng.int(0, pool.length - 1);
  while (left > 0) {
    const n = Math.min(left, pool.length - off);
    out.push({ buf: pool, off, len: n });
    left -= n;
    off = 0;
  }
  return out;
}

function buildText(rng: Prng, size: number): Buffer {
  const parts: string[] = ['<!doctype html><html><head><meta charset="utf-8"><title>Portal</title></head><body>\n'];
  let n = parts[0]!.length;
  while (n < size) {
    let line = '<p>';
    const words = rng.int(8, 30);
    for (let i = 0; i < words; i++) line += (i ? ' ' : '') + rng.pick(WORDS);
    line += ` ${rng.int(1, 99999)}</p>\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, size);
}
