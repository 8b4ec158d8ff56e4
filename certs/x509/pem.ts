/** PEM armour: RFC 7468 strict form (base64 lines of 64, BEGIN/END labels that match). */

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Buffer;
  /** The block's text, exactly as found, for passing on to tls one element per block. */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/g;

export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2]!.replace(/\r?\n/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) continue;
    out.push({ label: m[1]!, der: Buffer.from(body, 'base64'), text: `${m[0]}\n` });
  }
  return out;
}

/** The DER of each block with `label` (e.g. "CERTIFICATE"), in order. */
export function fromPem(text: string, label: string): Buffer[] {
  return pemBlocks(text)
    .filter((b) => b.label === label)
    .map((b) => b.der);
}

/** One DER value from input that may be PEM (with `label`) or raw DER. */
export function derFrom(input: string | Uint8Array, label: string): Buffer | undefined {
  if (typeof input !== 'string') {
    const buf = Buffer.from(input);
    if (buf[0] === 0x30) return buf;
    return derFrom(buf.toString('latin1'), label);
  }
  return fromPem(input, label)[0];
}
