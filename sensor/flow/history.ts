/**
 * Zeek's connection history string. Letters are upper case for the
 * originator and lower case for the responder:
 *   s SYN without ACK · h SYN+ACK · a pure ACK · d payload · f FIN · r RST
 *   c bad TCP/UDP checksum (see decode/checksum.ts) · g content gap · t retransmission · w zero window
 *   i inconsistent packet (FIN+RST) · q multi-flag packet (SYN+FIN, SYN+RST) · ^ roles flipped
 * a, d, i, q are recorded once per direction; s, h, f, r again whenever the
 * sequence number differs from the last packet with that flag; c, g, t, w
 * logarithmically, at the 1st, 10th, 100th... occurrence.
 */
import type { Conn, Endpoint } from './conn.js';

// Once-per-direction bits (the responder's are these shifted left by 16).
export const HIST_SYN = 0x1;
export const HIST_FIN = 0x2;
export const HIST_RST = 0x4;
export const HIST_FIN_RST = 0x8;
export const HIST_DATA = 0x10;
export const HIST_ACK = 0x20;
export const HIST_MULTI = 0x40;
export const HIST_CORRUPT = 0x80;

/** The lower-case letter of each upper-case one, made once: toLowerCase() makes a new string per call. */
const LOWER: string[] = [];
for (const u of 'SHADFRCGTWIQ^') LOWER[u.charCodeAt(0)] = u.toLowerCase();

/** The letter in the endpoint's case. */
function letter(ep: Endpoint, upper: string): string {
  return ep.isOrig ? upper : LOWER[upper.charCodeAt(0)] ?? upper.toLowerCase();
}

/**
 * Records the letter the first time the (direction, mask) is seen and
 * returns false; returns true when it was seen before (Zeek's CheckHistory).
 */
export function checkHistory(c: Conn, ep: Endpoint, mask: number, upper: string): boolean {
  const m = ep.isOrig ? mask : mask << 16;
  if ((c.histSeen & m) === 0) {
    c.histSeen |= m;
    c.history += letter(ep, upper);
    return false;
  }
  return true;
}

/** Appends a letter in the endpoint's case. */
export function addHistory(c: Conn, ep: Endpoint, upper: string): void {
  c.history += letter(ep, upper);
}

/** Logarithmic letters: added at the 1st, 10th, 100th... occurrence. */
function scaled(c: Conn, ep: Endpoint, upper: string, count: number): void {
  if (count === 1 || count === 10 || count === 100 || count === 1000 || count === 10000 || count === 100000 || count === 1000000 || count === 10000000 || count === 100000000 || count === 1000000000) {
    c.history += letter(ep, upper);
  }
}

export function didRetransmit(c: Conn, ep: Endpoint): void {
  scaled(c, ep, 'T', ++ep.rxmtCnt);
}

export function zeroWindow(c: Conn, ep: Endpoint): void {
  scaled(c, ep, 'W', ++ep.win0Cnt);
}

export function contentGap(c: Conn, ep: Endpoint): void {
  scaled(c, ep, 'G', ++ep.gapCnt);
}

export function checksumError(c: Conn, ep: Endpoint): void {
  scaled(c, ep, 'C', ++ep.chkCnt);
}
