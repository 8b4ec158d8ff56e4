// SSH protocol version exchange and key exchange init (RFC 4253 §4.2, §7.1).

import { startsWith, u32, wireString } from '../bytes.js';

/** RFC 4253 §4.2: the identification line is at most 255 bytes with its CR LF. */
export const MAX_BANNER = 255;
const MAX_NAME_LIST = 4096;

/** The protocol major version of an identification line, or 0 when it is not one. */
export function bannerVersion(b: Uint8Array, start: number, end: number): number {
  if (startsWith(b, start, end, 'SSH-2.0-') || startsWith(b, start, end, 'SSH-1.99-')) return 2;
  if (startsWith(b, start, end, 'SSH-1.')) return 1;
  return 0;
}

export interface KexInit {
  kex: string[];
  hostKey: string[];
  encC2S: string[];
  encS2C: string[];
  macC2S: string[];
  macS2C: string[];
  compC2S: string[];
  compS2C: string[];
  /** The lists as sent, for HASSH. */
  raw: string[];
}

/** A KEXINIT payload b[start, end) (message byte included); undefined when malformed. */
export function parseKexInit(b: Uint8Array, start: number, end: number): KexInit | undefined {
  if (end - start < 17 || b[start] !== 20) return undefined;
  let off = start + 17; // message number, 16-byte cookie
  const raw: string[] = [];
  for (let i = 0; i < 10; i++) {
    if (off + 4 > end) return undefined;
    const len = u32(b, off);
    off += 4;
    if (len > end - off) return undefined;
    raw.push(wireString(b, off, off + len, MAX_NAME_LIST));
    off += len;
  }
  const list = (i: number): string[] => (raw[i] ? raw[i]!.split(',') : []);
  return {
    kex: list(0),
    hostKey: list(1),
    encC2S: list(2),
    encS2C: list(3),
    macC2S: list(4),
    macS2C: list(5),
    compC2S: list(6),
    compS2C: list(7),
    raw,
  };
}

/** RFC 4253 §7.1: the first algorithm of the client's list that the server also supports. */
export function negotiate(client: string[], server: string[]): string | undefined {
  return client.find((a) => server.includes(a));
}

/** Zeek's form for a possibly asymmetric choice: one name, or "to_server: a, to_client: b". */
export function bidirectional(c2s: string | undefined, s2c: string | undefined): string | undefined {
  if (c2s === undefined || s2c === undefined || c2s === s2c) return c2s ?? s2c;
  return `to_server: ${c2s}, to_client: ${s2c}`;
}
