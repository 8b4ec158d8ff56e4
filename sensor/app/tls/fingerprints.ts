// JA3, JA4 and JA3S of a connection, computed once per distinct hello.
//
// The fingerprints are hashes (MD5, SHA-256) of strings built from the hello's
// lists; building and hashing them cost more than the rest of the TLS
// analysis. They depend only on a few fields of the hello, which repeat for
// every connection of the same client software, so the results are kept
// keyed by exactly the values that ja3.ts and ja4.ts read. GREASE values are
// left out of the keys (both fingerprints ignore them, and clients pick them
// at random per connection); JA4's key has the extensions sorted, as JA4
// itself does, so a client that shuffles its extensions (Chromium) still hits
// for JA4 while its JA3, which does change with the order, is computed anew.

import { isGrease } from './consts.js';
import type { ClientHello, ServerHello } from './hello.js';
import { ja3, ja3s } from './ja3.js';
import { ja4 } from './ja4.js';

export interface ClientFingerprints {
  ja3: string;
  ja4: string;
}

/**
 * Fingerprints by their key: found by a hash of the key's values (a number,
 * which a Map hashes without a string to build and hash per hello) and
 * confirmed against a copy of the key, kept with the result. Bounded as Memo is.
 */
class KeyMemo {
  private map = new Map<number, { key: Uint16Array; value: string }>();

  constructor(private readonly max: number) {}

  /** The result for the key in scratch[0, at), hashed as h. */
  get(h: number): string | undefined {
    const e = this.map.get(h);
    if (e === undefined || e.key.length !== at) return undefined;
    const k = e.key;
    for (let i = 0; i < at; i++) if (k[i] !== scratch[i]) return undefined;
    return e.value;
  }

  set(h: number, value: string): void {
    if (this.map.size >= this.max) this.map = new Map();
    this.map.set(h, { key: scratch.slice(0, at), value });
  }
}

const ja3Memo = new KeyMemo(8192);
const ja4Memo = new KeyMemo(8192);
const ja3sMemo = new KeyMemo(8192);

/** Scratch for a key: each list as its length then its values, all 16-bit. */
let scratch = new Uint16Array(4096);
let at = 0;

function put(v: number): void {
  if (at === scratch.length) {
    const bigger = new Uint16Array(scratch.length * 2);
    bigger.set(scratch);
    scratch = bigger;
  }
  scratch[at++] = v;
}

/** The list's values without GREASE, behind their count. */
function putList(values: readonly number[], sorted = false): void {
  const lenAt = at;
  put(0);
  for (let i = 0; i < values.length; i++) if (!isGrease(values[i]!)) put(values[i]!);
  scratch[lenAt] = at - lenAt - 1;
  if (sorted) scratch.subarray(lenAt + 1, at).sort();
}

/** FNV-1a of the key in scratch[0, at), 30 bits (a small integer). */
function key(): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < at; i++) h = Math.imul(h ^ scratch[i]!, 0x01000193);
  return h & 0x3fffffff;
}

export function clientFingerprints(ch: ClientHello): ClientFingerprints {
  at = 0;
  put(ch.version);
  putList(ch.ciphers);
  putList(ch.extensions);
  putList(ch.groups);
  put(ch.pointFormats.length);
  for (const v of ch.pointFormats) put(v);
  const k3 = key();
  let j3 = ja3Memo.get(k3);
  if (j3 === undefined) {
    j3 = ja3(ch);
    ja3Memo.set(k3, j3);
  }

  at = 0;
  put(ch.version);
  putList(ch.ciphers);
  putList(ch.extensions, true);
  putList(ch.sigAlgs);
  putList(ch.supportedVersions);
  const alpn = ch.alpnFirst;
  if (alpn === undefined) put(0xffff);
  else {
    put(alpn.length);
    for (let i = 0; i < alpn.length; i++) put(alpn[i]!);
  }
  const k4 = key();
  let j4 = ja4Memo.get(k4);
  if (j4 === undefined) {
    j4 = ja4(ch);
    ja4Memo.set(k4, j4);
  }
  return { ja3: j3, ja4: j4 };
}

export function serverFingerprint(sh: ServerHello): string {
  at = 0;
  put(sh.version);
  put(sh.cipher);
  putList(sh.extensions);
  const k = key();
  let fp = ja3sMemo.get(k);
  if (fp === undefined) {
    fp = ja3s(sh);
    ja3sMemo.set(k, fp);
  }
  return fp;
}
