import { randomBytes } from 'node:crypto';

/**
 * A certificate serial: 16 random bytes, top bit clear (positive) and the next set
 * (so DER needs no leading zero and every serial has the same length), 126 bits of
 * entropy: unpredictable, and unique without coordination between issuing CAs.
 */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

export const serialHex = (serial: Uint8Array): string => Buffer.from(serial).toString('hex').toUpperCase();
