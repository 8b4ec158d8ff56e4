// A minimal pcap reader for the capture tests: IPv4/IPv6 TCP segments from
// Ethernet, Linux cooked (SLL, SLL2) or raw-IP captures, in file order. Enough
// to replay a loopback capture into an analyzer; not a decoder.

export interface Segment {
  tsNs: bigint;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  payload: Uint8Array;
}

export function tcpSegments(file: Uint8Array): Segment[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && dv.getUint32(0, false) !== 0xa1b2c3d4 && dv.getUint32(0, false) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const nano = magic === 0xa1b23c4d || dv.getUint32(0, false) === 0xa1b23c4d;
  const linktype = dv.getUint32(20, le);
  const out: Segment[] = [];
  for (let off = 24; off + 16 <= file.length; ) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const pkt = file.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    let ip: number;
    switch (linktype) {
      case 1: // Ethernet
        ip = 14;
        break;
      case 113: // Linux SLL
        ip = 16;
        break;
      case 276: // Linux SLL2
        ip = 20;
        break;
      case 101: // raw IP
        ip = 0;
        break;
      default:
        throw new Error(`unsupported linktype ${linktype}`);
    }
    const version = pkt[ip]! >> 4;
    let tcp: number;
    if (version === 4) {
      if (pkt[ip + 9] !== 6) continue;
      tcp = ip + (pkt[ip]! & 0xf) * 4;
    } else if (version === 6) {
      if (pkt[ip + 6] !== 6) continue;
      tcp = ip + 40;
    } else continue;
    const p = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
    const dataOff = (pkt[tcp + 12]! >> 4) * 4;
    out.push({
      tsNs: BigInt(sec) * 1_000_000_000n + BigInt(nano ? frac : frac * 1000),
      srcPort: p.getUint16(tcp),
      dstPort: p.getUint16(tcp + 2),
      seq: p.getUint32(tcp + 4),
      flags: pkt[tcp + 13]!,
      payload: pkt.subarray(tcp + dataOff),
    });
  }
  return out;
}
