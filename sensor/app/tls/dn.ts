// X.501 Names as strings, in RFC 4514 form: RDNs most specific first (the
// reverse of DER order), "," between RDNs, "+" inside a multi-valued RDN, the
// attribute short names OpenSSL prints (so subject/issuer read as in Zeek's
// ssl.log), values escaped per RFC 4514 §2.4. Unlike OpenSSL's RFC 2253 mode,
// non-ASCII text stays readable Unicode instead of \XX escapes.

import { Buffer } from 'node:buffer';
import { hex, view } from '../bytes.js';
import { children, oid, TAG, type Tlv } from './der.js';

const MAX_DN = 1024;

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title',
  '2.5.4.13': 'description', '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN', '2.5.4.43': 'initials', '2.5.4.44': 'generationQualifier', '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

export interface DecodedName {
  /** The whole name, RFC 4514 order. */
  text: string;
  /** The (most specific) common name, unescaped. */
  cn?: string;
  truncated: boolean;
}

/** Decodes a Name (SEQUENCE OF RDN); undefined when malformed. */
export function decodeName(b: Uint8Array, name: Tlv): DecodedName | undefined {
  if (name.tag !== TAG.SEQUENCE) return undefined;
  const rdns = children(b, name, 64);
  if (!rdns) return undefined;
  const parts: string[] = [];
  let cn: string | undefined;
  for (const rdn of rdns) {
    if (rdn.tag !== TAG.SET) return undefined;
    const atvs = children(b, rdn, 16);
    if (!atvs) return undefined;
    const inner: string[] = [];
    for (const atv of atvs) {
      const kv = atv.tag === TAG.SEQUENCE ? children(b, atv, 2) : undefined;
      if (!kv || kv.length !== 2 || kv[0]!.tag !== TAG.OID) return undefined;
      const type = oid(b, kv[0]!);
      const value = stringValue(b, kv[1]!);
      if (type === '2.5.4.3' && value !== undefined) cn = value;
      inner.push(`${SHORT[type] ?? type}=${value !== undefined ? escape(value) : '#' + hex(b, kv[1]!.at, kv[1]!.end)}`);
    }
    parts.push(inner.join('+'));
  }
  let text = parts.reverse().join(',');
  const truncated = text.length > MAX_DN;
  if (truncated) text = text.slice(0, MAX_DN);
  return { text, cn, truncated };
}

/** The text of a directory string; undefined for non-string values. */
export function stringValue(b: Uint8Array, t: Tlv): string | undefined {
  const v = view(b, t.start, t.end);
  switch (t.tag) {
    case TAG.UTF8:
      return v.toString('utf8');
    case TAG.PRINTABLE:
    case TAG.IA5:
    case TAG.NUMERIC:
    case TAG.VISIBLE:
    case TAG.T61: // in practice latin1 when not ASCII
      return v.toString('latin1');
    case TAG.BMP:
      return utf16be(v);
    case TAG.UNIVERSAL: {
      let s = '';
      for (let i = 0; i + 3 < v.length; i += 4) {
        const cp = v.readUInt32BE(i);
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
  }
  return undefined;
}

function utf16be(v: Buffer): string {
  const le = Buffer.alloc(v.length & ~1);
  for (let i = 0; i + 1 < v.length; i += 2) {
    le[i] = v[i + 1]!;
    le[i + 1] = v[i]!;
  }
  return le.toString('utf16le');
}

/** RFC 4514 §2.4: specials, a leading '#' or space and a trailing space get a backslash; controls a \XX. */
function escape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(16).padStart(2, '0').toUpperCase();
    else if (',+"\\<>;'.includes(ch) || (i === 0 && (ch === '#' || ch === ' ')) || (i === s.length - 1 && ch === ' '))
      out += '\\' + ch;
    else out += ch;
  }
  return out;
}
