// JA3 and JA3S (Salesforce, github.com/salesforce/ja3): MD5 of the decimal
// fields of a hello, GREASE values removed, "," between fields and "-"
// between values:
//   JA3  = SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
//   JA3S = SSLVersion,Cipher,Extensions
// SSLVersion is the hello's own version field (not supported_versions).

import { createHash } from 'node:crypto';
import { isGrease } from './consts.js';
import type { ClientHello, ServerHello } from './hello.js';

function join(values: readonly number[]): string {
  let s = '';
  for (const v of values) {
    if (isGrease(v)) continue;
    s += (s ? '-' : '') + v;
  }
  return s;
}

export function ja3String(ch: ClientHello): string {
  return `${ch.version},${join(ch.ciphers)},${join(ch.extensions)},${join(ch.groups)},${ch.pointFormats.join('-')}`;
}

export function ja3sString(sh: ServerHello): string {
  return `${sh.version},${sh.cipher},${join(sh.extensions)}`;
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

export function ja3(ch: ClientHello): string {
  return md5(ja3String(ch));
}

export function ja3s(sh: ServerHello): string {
  return md5(ja3sString(sh));
}
