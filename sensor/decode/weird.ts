/**
 * Named anomaly counters ("weirds", in Zeek's word). A decoder or the flow
 * table reports an anomaly by a small integer id fixed at module load, so the
 * hot path only increments an array slot; names are resolved when reporting.
 * Nothing malformed ever throws: it is counted here and the packet dropped or
 * handled as far as it makes sense.
 */

const names: string[] = [];
const ids = new Map<string, number>();

/** Registers (or finds) a weird name and returns its id. Call at module load, not per packet. */
export function weirdId(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}

export function weirdName(id: number): string {
  return names[id] ?? `weird_${id}`;
}

/** Receives weird notices that deserve a log row (the counters are kept regardless). */
export interface WeirdSink {
  /** A packet-level anomaly (no connection). */
  onWeird(id: number): void;
}

export class WeirdCounters {
  private counts = new Float64Array(256);
  /** Optional listener for rows in weird.log; undefined when only counting. */
  sink: WeirdSink | undefined = undefined;

  /** Counts one occurrence. */
  inc(id: number): void {
    if (id >= this.counts.length) this.grow(id);
    this.counts[id]! += 1;
    if (this.sink !== undefined) this.sink.onWeird(id);
  }

  /** Counts without notifying the sink (the caller logs with more context). */
  count(id: number): void {
    if (id >= this.counts.length) this.grow(id);
    this.counts[id]! += 1;
  }

  /** Counts n occurrences counted elsewhere (the native flow core's), without notifying the sink. */
  add(id: number, n: number): void {
    if (id >= this.counts.length) this.grow(id);
    this.counts[id]! += n;
  }

  get(name: string): number {
    const id = ids.get(name);
    return id === undefined || id >= this.counts.length ? 0 : this.counts[id]!;
  }

  total(): number {
    let t = 0;
    for (let i = 0; i < this.counts.length; i++) t += this.counts[i]!;
    return t;
  }

  /** Non-zero counters by name. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.counts.length && i < names.length; i++) {
      if (this.counts[i]! > 0) out[names[i]!] = this.counts[i]!;
    }
    return out;
  }

  private grow(id: number): void {
    const next = new Float64Array(Math.max(id + 1, this.counts.length * 2));
    next.set(this.counts);
    this.counts = next;
  }
}

// The weirds of the decoders, registered once. Names follow Zeek's where Zeek has one.
export const W = {
  truncated_link_header: weirdId('truncated_link_header'),
  unknown_link_type: weirdId('unknown_link_type'),
  unknown_ether_type: weirdId('unknown_ether_type'),
  non_ip_packet: weirdId('non_ip_packet'),
  truncated_vlan_header: weirdId('truncated_vlan_header'),
  too_many_vlan_tags: weirdId('too_many_vlan_tags'),
  truncated_mpls_header: weirdId('truncated_mpls_header'),
  too_many_mpls_labels: weirdId('too_many_mpls_labels'),
  mpls_unknown_payload: weirdId('mpls_unknown_payload'),
  truncated_pppoe_header: weirdId('truncated_pppoe_header'),
  pppoe_non_ip: weirdId('pppoe_non_ip'),
  truncated_sll_header: weirdId('truncated_sll_header'),
  truncated_IP: weirdId('truncated_IP'),
  truncated_header: weirdId('truncated_header'),
  bad_IP_version: weirdId('bad_IP_version'),
  bad_IP_header_len: weirdId('bad_IP_header_len'),
  bad_IP_checksum: weirdId('bad_IP_checksum'),
  internally_truncated_header: weirdId('internally_truncated_header'),
  ip_hdr_len_zero: weirdId('ip_hdr_len_zero'),
  IPv6_bad_extension_header: weirdId('ipv6_bad_extension_header'),
  ipv6_too_many_extension_headers: weirdId('ipv6_too_many_extension_headers'),
  excessive_fragments: weirdId('excessive_fragments'),
  fragment_overlap: weirdId('fragment_overlap'),
  fragment_inconsistency: weirdId('fragment_inconsistency'),
  fragment_size_inconsistency: weirdId('fragment_size_inconsistency'),
  fragment_with_DF: weirdId('fragment_with_DF'),
  fragment_protocol_inconsistency: weirdId('fragment_protocol_inconsistency'),
  fragment_table_full: weirdId('fragment_table_full'),
  fragment_timeout: weirdId('fragment_timeout'),
  excessively_large_fragment: weirdId('excessively_large_fragment'),
  truncated_fragment: weirdId('truncated_fragment'),
  tiny_fragment: weirdId('tiny_fragment'),
  truncated_tcp_header: weirdId('truncated_tcp_header'),
  bad_TCP_header_len: weirdId('bad_TCP_header_len'),
  truncated_udp_header: weirdId('truncated_udp_header'),
  UDP_datagram_length_mismatch: weirdId('UDP_datagram_length_mismatch'),
  truncated_icmp_header: weirdId('truncated_icmp_header'),
  truncated_gre_header: weirdId('truncated_gre_header'),
  gre_unknown_protocol: weirdId('gre_unknown_protocol'),
  gre_version_unsupported: weirdId('gre_version_unsupported'),
  truncated_erspan_header: weirdId('truncated_erspan_header'),
  truncated_vxlan_header: weirdId('truncated_vxlan_header'),
  exceeded_tunnel_max_depth: weirdId('exceeded_tunnel_max_depth'),
  truncated_packet: weirdId('truncated_packet'),
  bad_capture_record: weirdId('bad_capture_record'),
} as const;
