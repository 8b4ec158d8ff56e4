/**
 * MPLS label stack entries (RFC 3032): label(20) TC(3) S(1) TTL(8). The payload after the
 * bottom-of-stack entry carries no EtherType; receivers tell IPv4 from IPv6 by the first nibble.
 */

export const MPLS_ENTRY_LEN = 4;
/** Labels 0-15 are reserved (explicit null, router alert, ...). */
export const MPLS_FIRST_UNRESERVED_LABEL = 16;

export function mplsStack(labels: readonly number[], ttl: number): Buffer {
  if (labels.length === 0) throw new Error('an MPLS stack needs at least one label');
  const b = Buffer.alloc(labels.length * MPLS_ENTRY_LEN);
  labels.forEach((label, i) => {
    if (!Number.isInteger(label) || label < MPLS_FIRST_UNRESERVED_LABEL || label > 0xfffff) throw new Error(`MPLS label ${label} is not usable`);
    const bottom = i === labels.length - 1 ? 1 : 0;
    // label << 12 overflows int32 for large labels: build the 32-bit entry arithmetically.
    b.writeUInt32BE(label * 4096 + (bottom << 8) + (ttl & 0xff), i * MPLS_ENTRY_LEN);
  });
  return b;
}
