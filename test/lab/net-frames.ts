// Just enough frame building and reading for the network lab's tests: the product's decoders
// live in sensor/, and a lab test must not depend on the code it will be used to check.

export const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, MPLS: 0x8847 } as const;

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

export function ipv4Bytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

export function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail] = addr.split('::');
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return out;
}

export interface L3View {
  srcMac: string;
  dstMac: string;
  ethertype: number;
  src: Buffer;
  dst: Buffer;
  protocol: number;
}

const mac = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** The Ethernet and IP header fields of an untagged IPv4 or IPv6 frame; undefined for anything else. */
export function readIp(frame: Buffer): L3View | undefined {
  if (frame.length < 14) return undefined;
  const ethertype = frame.readUInt16BE(12);
  const base = { srcMac: mac(frame.subarray(6, 12)), dstMac: mac(frame.subarray(0, 6)), ethertype };
  if (ethertype === ETHERTYPE.IPV4 && frame.length >= 34) {
    return { ...base, src: frame.subarray(26, 30), dst: frame.subarray(30, 34), protocol: frame[23]! };
  }
  if (ethertype === ETHERTYPE.IPV6 && frame.length >= 54) {
    return { ...base, src: frame.subarray(22, 38), dst: frame.subarray(38, 54), protocol: frame[20]! };
  }
  return undefined;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet + IPv4 + UDP frame carrying `payload`. */
export function udpFrame(o: { srcMac: string; dstMac: string; src: string; dst: string; sport: number; dport: number; payload: Buffer }): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(o.sport, 0);
  udp.writeUInt16BE(o.dport, 2);
  udp.writeUInt16BE(8 + o.payload.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + o.payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ipv4Bytes(o.src).copy(ip, 12);
  ipv4Bytes(o.dst).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const eth = Buffer.concat([macBytes(o.dstMac), macBytes(o.srcMac), Buffer.from([0x08, 0x00])]);
  return Buffer.concat([eth, ip, udp, o.payload]);
}

/** The same frame with an 802.1Q tag after the MAC addresses. */
export function vlanTagged(frame: Buffer, vid: number): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(ETHERTYPE.VLAN, 0);
  tag.writeUInt16BE(vid & 0x0fff, 2);
  return Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
}

/** The same IPv4 frame carried under one MPLS label (bottom of stack, TTL 64). */
export function mplsLabelled(frame: Buffer, label: number): Buffer {
  const entry = Buffer.alloc(4);
  entry.writeUInt32BE((((label & 0xfffff) << 12) | (1 << 8) | 64) >>> 0);
  return Buffer.concat([frame.subarray(0, 12), Buffer.from([0x88, 0x47]), entry, frame.subarray(14)]);
}
