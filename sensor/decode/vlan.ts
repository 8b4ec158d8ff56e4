import type { Packet } from './packet.js';
import { W, type WeirdCounters } from './weird.js';

/** The tags kept per packet; deeper stacks are decoded through but not recorded. */
const MAX_TAGS = 4;

/**
 * 802.1Q / 802.1ad (QinQ, 0x88a8, and the older 0x9100) tag: 2 bytes TCI and
 * the next EtherType. The outer two VLAN ids are recorded (Zeek's vlan and inner_vlan).
 */
export function decodeVlan(p: Packet, b: Uint8Array, off: number, end: number, wc: WeirdCounters): number {
  if (end - off < 4) {
    wc.inc(W.truncated_vlan_header);
    return -1;
  }
  const vid = ((b[off]! & 0x0f) << 8) | b[off + 1]!;
  if (p.vlanCount === 0) p.vlan0 = vid;
  else if (p.vlanCount === 1) p.vlan1 = vid;
  if (++p.vlanCount > MAX_TAGS) {
    wc.inc(W.too_many_vlan_tags);
    return -1;
  }
  const t = (b[off + 2]! << 8) | b[off + 3]!;
  p.etherType = t < 0x600 ? 0 : t;
  return off + 4;
}
