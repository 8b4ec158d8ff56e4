// DNS name decoding with compression (RFC 1035 §4.1.4), safe against hostile messages.
//
// Loop protection follows the rule that a compression pointer may only point
// backwards: after following a pointer found at offset p, the name may only be
// read from bytes before p. Pointer positions therefore strictly decrease and
// every walk terminates; MAX_POINTERS bounds the work of long pointer chains.

export const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;
const MAX_POINTERS = 64;

/** Why a name could not be read; the weird to count for each. */
export const NAME_ERRORS = [
  '',
  'DNS_label_len_gt_pkt',
  'DNS_label_too_long',
  'DNS_label_forward_compress_offset',
  'DNS_NAME_too_long', // Zeek's spelling
  'DNS_name_too_many_pointers',
  'DNS_label_bad_type',
] as const;

/** Result of the last readName call (module state, so a walk allocates nothing). */
export const nameResult = { next: 0, error: 0, text: '' };

/**
 * Reads the name starting at `off` in the message [msg, end).
 * On success sets nameResult.next (the offset after the name where it started,
 * i.e. after the first pointer if any) and, when `build`, nameResult.text; returns true.
 * On failure sets nameResult.error (an index into NAME_ERRORS) and returns false.
 */
export function readName(b: Uint8Array, msg: number, off: number, end: number, build: boolean): boolean {
  let pos = off;
  let limit = end; // bytes at or after limit may not be read
  let next = -1;
  let pointers = 0;
  let wire = 0;
  let n = 0; // characters of the name's text in TEXT
  nameResult.error = 0;
  for (;;) {
    if (pos >= limit) return fail(1);
    const len = b[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= limit) return fail(1);
      const target = msg + (((len & 0x3f) << 8) | b[pos + 1]!);
      if (next < 0) next = pos + 2;
      if (target >= pos) return fail(3);
      if (++pointers > MAX_POINTERS) return fail(5);
      limit = pos;
      pos = target;
      continue;
    }
    if (kind !== 0) return fail(6);
    if (len > MAX_LABEL) return fail(2);
    if (pos + 1 + len > limit) return fail(1);
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) return fail(4);
    if (build) {
      if (n > 0) TEXT[n++] = 0x2e;
      n = label(b, pos + 1, pos + 1 + len, n);
    }
    pos += 1 + len;
  }
  nameResult.next = next < 0 ? pos : next;
  nameResult.text = n === 0 ? '' : String.fromCharCode.apply(null, TEXT.subarray(0, n) as unknown as number[]);
  return true;
}

function fail(code: number): false {
  nameResult.error = code;
  return false;
}

/**
 * The name's text is built in one scratch array and made a string once: at
 * most 255 wire bytes, each at most 4 characters ("\\DDD"), plus the dots.
 */
const TEXT = new Uint16Array(4 * MAX_NAME_WIRE + MAX_NAME_WIRE);

/**
 * One label in presentation form, written into TEXT from n; returns the new
 * end. Printable ASCII as is; '.' and '\\' escaped with a backslash, any other
 * byte as \\DDD (bytes are characters 0-255, as the latin1 reading of
 * wireString gives them for a label without such bytes).
 */
function label(b: Uint8Array, start: number, end: number, n: number): number {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x2e || c === 0x5c) {
      TEXT[n++] = 0x5c;
      TEXT[n++] = c;
    } else if (c <= 0x20 || c >= 0x7f) {
      TEXT[n++] = 0x5c;
      TEXT[n++] = 0x30 + ((c / 100) | 0);
      TEXT[n++] = 0x30 + (((c / 10) | 0) % 10);
      TEXT[n++] = 0x30 + (c % 10);
    } else TEXT[n++] = c;
  }
  return n;
}
