// Wire-format builders and small utilities shared by the app-analyzer tests.
// Everything is built byte by byte here, independently of the code under test.

import type { AppEvents } from '../../../sensor/app/events.js';

export class Weirds implements AppEvents {
  readonly names: string[] = [];
  weird(name: string): void {
    this.names.push(name);
  }
  has(name: string): boolean {
    return this.names.includes(name);
  }
}

export function bytes(...parts: Array<number | number[] | Uint8Array | string>): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of Buffer.from(p, 'latin1')) out.push(c);
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

export const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
export const be24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
export const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Every way of cutting `data` into two pieces, plus one-byte pieces. */
export function* splits(data: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 1; i < data.length; i++) yield [data.subarray(0, i), data.subarray(i)];
  yield Array.from(data, (_, i) => data.subarray(i, i + 1));
}

/** A deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random mutation of `data`: flipped or boundary bytes, a cut, an insertion or a duplicated run. */
export function mutate(data: Uint8Array, r: () => number): Uint8Array {
  let out: Uint8Array = data.slice();
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (out.length + 1));
    switch (Math.floor(r() * 5)) {
      case 0:
        if (out.length) out[at % out.length] = Math.floor(r() * 256);
        break;
      case 1:
        out = out.subarray(0, at);
        break;
      case 2: {
        const ins = Uint8Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256));
        out = splice(out, at, ins);
        break;
      }
      case 3:
        if (out.length) out[at % out.length] = [0x00, 0xff, 0x7f, 0x80, 0xc0][Math.floor(r() * 5)]!;
        break;
      case 4:
        out = splice(out, at, out.slice(at, at + Math.floor(r() * 16)));
        break;
    }
  }
  return out;
}

function splice(a: Uint8Array, at: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + ins.length);
  out.set(a.subarray(0, at));
  out.set(ins, at);
  out.set(a.subarray(at), at + ins.length);
  return out;
}

// ---- DNS ----

export function dnsName(name: string): number[] {
  if (name === '') return [0];
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'latin1'));
  out.push(0);
  return out;
}

export interface Rr {
  name: number[];
  type: number;
  cls?: number;
  ttl: number;
  rdata: number[];
}

export function rr(r: Rr): number[] {
  return [...r.name, ...be16(r.type), ...be16(r.cls ?? 1), ...be32(r.ttl), ...be16(r.rdata.length), ...r.rdata];
}

export function dnsMessage(opts: {
  id: number;
  flags: number;
  qname?: string;
  qtype?: number;
  answers?: number[][];
  ns?: number[][];
  ar?: number[][];
}): Uint8Array {
  const q = opts.qname !== undefined ? [...dnsName(opts.qname), ...be16(opts.qtype ?? 1), ...be16(1)] : [];
  return bytes(
    be16(opts.id),
    be16(opts.flags),
    be16(opts.qname !== undefined ? 1 : 0),
    be16(opts.answers?.length ?? 0),
    be16(opts.ns?.length ?? 0),
    be16(opts.ar?.length ?? 0),
    q,
    ...(opts.answers ?? []),
    ...(opts.ns ?? []),
    ...(opts.ar ?? []),
  );
}

// ---- TLS ----

export function ext(type: number, data: number[]): number[] {
  return [...be16(type), ...be16(data.length), ...data];
}

export function u16list(values: number[], lenBytes = 2): number[] {
  const body = values.flatMap(be16);
  return lenBytes === 1 ? [body.length, ...body] : [...be16(body.length), ...body];
}

export function sniExt(host: string): number[] {
  const name = [...Buffer.from(host, 'latin1')];
  const entry = [0, ...be16(name.length), ...name];
  return ext(0, [...be16(entry.length), ...entry]);
}

export function alpnExt(protos: string[]): number[] {
  const list = protos.flatMap((p) => [p.length, ...Buffer.from(p, 'latin1')]);
  return ext(16, [...be16(list.length), ...list]);
}

export function handshake(type: number, body: number[]): number[] {
  return [type, ...be24(body.length), ...body];
}

export function record(type: number, body: number[], version = 0x0303): Uint8Array {
  return bytes(type, be16(version), be16(body.length), body);
}

export function clientHelloBody(opts: {
  version?: number;
  sessionId?: number[];
  ciphers: number[];
  extensions?: number[][];
}): number[] {
  const sid = opts.sessionId ?? [];
  const exts = (opts.extensions ?? []).flat();
  return [
    ...be16(opts.version ?? 0x0303),
    ...new Array<number>(32).fill(0x11),
    sid.length,
    ...sid,
    ...u16list(opts.ciphers),
    1,
    0,
    ...(opts.extensions ? [...be16(exts.length), ...exts] : []),
  ];
}

export function serverHelloBody(opts: {
  version?: number;
  random?: number[];
  sessionId?: number[];
  cipher: number;
  extensions?: number[][];
}): number[] {
  const sid = opts.sessionId ?? [];
  const exts = (opts.extensions ?? []).flat();
  return [
    ...be16(opts.version ?? 0x0303),
    ...(opts.random ?? new Array<number>(32).fill(0x22)),
    sid.length,
    ...sid,
    ...be16(opts.cipher),
    0,
    ...(opts.extensions ? [...be16(exts.length), ...exts] : []),
  ];
}
